"""Extraction speed and memory, side by side with the bare library work.

For docx, text-PDF and OFD letters of 30 and 300 people, a legacy .doc (its
LibreOffice conversion included) and a phone photo, it prints: ms per letter
for `read_document + extract`, ms for the bare library work on the same file
(python-docx load + walking the body; pdfplumber open + words + tables of every
page; the OFD pages' TextCode text; LibreOffice's conversion alone; the OCR
engine's own pipeline on the photo), their ratio, and the peak RSS of a fresh
process extracting the letter.

    .venv/bin/python bench/extract.py [--repeat N]

Targets: ratio <= 1.3 for both formats; a 300-person PDF under 200 MB peak RSS.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.extraction import extract  # noqa: E402
from pipeline.reading import read_document  # noqa: E402
from tests.builders.spec import LetterSpec, make_id  # noqa: E402


def crowd(n: int) -> list[tuple[str, str]]:
    first = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
    return [(first[i % 20] + given[(i * 7) % 20] + given[(i * 3) % 20], make_id("610102", "19900101", f"{i % 1000:03d}"))
            for i in range(n)]  # fmt: skip


def bare_docx(path: Path) -> int:
    """python-docx load + walking the body with its own API: blocks in order, paragraph text, cell text."""
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    count = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    count += len(cell.text)
        else:
            count += len(block.text)
    return count


def bare_pdf(path: Path) -> int:
    import pdfplumber

    count = 0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            count += len(page.extract_words())
            count += len(page.extract_tables())
            page.close()
    return count


def bare_soffice(path: Path) -> int:
    """LibreOffice's conversion alone (what reading a .doc costs at least)."""
    import shutil as _shutil

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "letter.doc"
        _shutil.copyfile(path, src)
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
             "--convert-to", "docx:MS Word 2007 XML", "--outdir", tmp, str(src)],
            capture_output=True, timeout=180, check=True,
        )  # fmt: skip
        return (Path(tmp) / "letter.docx").stat().st_size


def ours_uncached(path: Path) -> int:
    """read + extract with an empty conversion cache: the conversion is included."""
    import os

    with tempfile.TemporaryDirectory() as cache:
        os.environ["LETTERS_CONVERT_CACHE"] = cache
        return ours(path)


def bare_ofd(path: Path) -> int:
    """An OFD library's own text extraction: ofdkit's (lines of text, no tables or positions), or where
    it is not installed every page's TextCode text through lxml."""
    try:
        import ofdkit
    except ImportError:
        return _bare_ofd_lxml(path)
    return len(ofdkit.extract_text(path))


def _bare_ofd_lxml(path: Path) -> int:
    import zipfile

    from lxml import etree

    count = 0
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith("Content.xml"):
                root = etree.fromstring(zf.read(name))
                count += sum(len(el.text or "") for el in root.iter("{*}TextCode"))
    return count


def bare_ocr(path: Path) -> int:
    """The OCR engine's own pipeline (detection, orientation, recognition) on the same image."""
    import numpy as np
    from PIL import Image

    from pipeline.reading.ocr.engine import get_engine

    image = np.asarray(Image.open(path).convert("RGB"))
    result = get_engine()._ocr(image)
    return len(result.txts or ())


def to_doc(docx: Path) -> Path:
    """The letter saved as .doc by LibreOffice through .odt (a .doc whose table survives)."""
    folder = docx.parent
    for target, src in (("odt", docx), ("doc", docx.with_suffix(".odt"))):
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{folder}/profile", "--headless", "--convert-to", target,
             "--outdir", str(folder), str(src)],
            capture_output=True, timeout=180, check=True,
        )  # fmt: skip
    return docx.with_suffix(".doc")


def ours(path: Path) -> int:
    return len(extract(read_document(path)).people)


def timed(fn, path: Path, repeat: int) -> float:
    fn(path)  # warm caches and imports
    samples = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn(path)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def peak_rss_mb(path: Path) -> float:
    # VmHWM of the child itself: ru_maxrss after fork+exec can carry the parent's size.
    code = (
        "import sys;from pathlib import Path;"
        "from pipeline.reading import read_document;from pipeline.extraction import extract;"
        "extract(read_document(Path(sys.argv[1])));"
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))/1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from tests.builders.docx_builder import build_docx
    from tests.builders.pdf_builder import build_pdf

    print(f"{'letter':<16}{'extract ms':>12}{'bare ms':>10}{'ratio':>8}{'peak MB':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, build, bare in (("docx", build_docx, bare_docx), ("pdf", build_pdf, bare_pdf)):
            for n in (30, 300):
                path = build(LetterSpec(people=crowd(n)), Path(tmp) / f"letter{n}.{fmt}")
                assert ours(path) == n, f"{fmt} {n}: extraction lost people"
                # Interleave to share any machine noise between both sides.
                ours_ms = timed(ours, path, args.repeat)
                bare_ms = timed(bare, path, args.repeat)
                print(f"{fmt + ' ' + str(n) + ' people':<16}{ours_ms:>12.1f}{bare_ms:>10.1f}"
                      f"{ours_ms / bare_ms:>8.2f}{peak_rss_mb(path):>10.1f}")  # fmt: skip
        for label, path, mine, bare, n in _new_formats(Path(tmp), args.repeat):
            assert mine(path) == n, f"{label}: extraction lost people"
            ours_ms = timed(mine, path, args.repeat)
            bare_ms = timed(bare, path, args.repeat)
            print(
                f"{label:<16}{ours_ms:>12.1f}{bare_ms:>10.1f}{ours_ms / bare_ms:>8.2f}{peak_rss_mb(path):>10.1f}"
            )
    print("bare: docx python-docx walk; pdf pdfplumber words+tables; doc LibreOffice conversion alone;")
    print("      ofd ofdkit.extract_text (lxml TextCode text without ofdkit); photo the OCR engine's own")
    print("      det+cls+rec on the image")


def _new_formats(tmp: Path, repeat: int):
    """(label, file, ours, bare, people) rows for .doc, OFD and a phone photo, where this machine can."""
    import shutil

    from tests.builders.docx_builder import build_docx
    from tests.builders.ofd_builder import build_ofd

    for n in (30, 300):
        yield (
            f"ofd {n} people",
            build_ofd(LetterSpec(people=crowd(n)), tmp / f"letter{n}.ofd"),
            ours,
            bare_ofd,
            n,
        )
    if shutil.which("soffice"):
        doc = to_doc(build_docx(LetterSpec(people=crowd(30)), tmp / "legacy30.docx"))
        yield "doc 30 people", doc, ours_uncached, bare_soffice, 30
    try:
        from pipeline.reading import ocr_reader
        from tests.builders.scan_builder import build_photo
    except ImportError:
        return
    if ocr_reader.available():
        yield "photo 8 people", build_photo(LetterSpec(people=crowd(8)), tmp / "photo.jpg"), ours, bare_ocr, 8


if __name__ == "__main__":
    main()
