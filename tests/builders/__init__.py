"""Test letters made in code: one LetterSpec, rendered to .docx, text PDF or scan.

    spec = LetterSpec(doc_number="陕人社函(２０２１) 88号", roster_as="text")
    path = build_docx(spec, tmp_path / "a.docx")   # or build_pdf(spec, ...)

Every variation the extractor must handle is a field of LetterSpec, so a test
for it is one call away.
"""
