"""read_docx: the package, its styles and numbering, the body walk, headers and footers."""

from __future__ import annotations

import logging
import zipfile
import zlib
from pathlib import Path
from typing import Literal

from lxml import etree

from pipeline.document import Document, Location, Paragraph
from pipeline.errors import CorruptFile, EncryptedFile, UnreadableLetter
from pipeline.reading.docx_reader.numbering import _Numbering
from pipeline.reading.docx_reader.package import _Package
from pipeline.reading.docx_reader.styles import _load_styles, _Styles
from pipeline.reading.docx_reader.tags import R_ID, W_BODY, W_FOOTERREF, W_HEADERREF
from pipeline.reading.docx_reader.walker import _Walker

log = logging.getLogger(__name__)


def read_docx(path: Path) -> Document:
    """Read a .docx letter; any damage surfaces as CorruptFile/EncryptedFile, never a raw exception."""
    try:
        return _read(path)
    except UnreadableLetter:
        raise
    except RuntimeError as exc:  # zipfile: encrypted entry ("password required")
        if "password" in str(exc).lower() or "encrypted" in str(exc).lower():
            raise EncryptedFile(f"{path.name}: encrypted zip entry") from exc
        raise _corrupt(path, exc) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise CorruptFile(
            f"{path.name}: damaged zip container ({type(exc).__name__}: {exc})",
            "该 Word 文件已损坏（压缩包不完整或数据出错），无法打开，请向来函单位索取完整文件。",
        ) from exc
    except etree.XMLSyntaxError as exc:
        raise CorruptFile(
            f"{path.name}: malformed XML in the document part ({exc})",
            "该 Word 文件内容结构已损坏，无法读取，请向来函单位索取完整文件或另存后重新放入。",
        ) from exc
    except Exception as exc:  # a file we cannot make sense of must still become a clerk message
        log.exception("unexpected failure reading %s", path.name)
        raise _corrupt(path, exc) from exc


def _corrupt(path: Path, exc: BaseException) -> CorruptFile:
    return CorruptFile(
        f"{path.name}: unreadable Word file ({type(exc).__name__}: {exc})",
        "该 Word 文件无法解析，可能已损坏，请向来函单位索取完整文件或另存为 .docx 后重新放入。",
    )


def _read(path: Path) -> Document:
    pkg = _Package(path)
    with pkg.zf:
        main = pkg.main_part()
        if main is None:
            raise CorruptFile(
                f"{path.name}: zip has no word/document.xml",
                "该文件不是完整的 Word 文档（缺少正文部分），无法读取，请向来函单位索取完整文件。",
            )
        root = pkg.xml(main)
        rels = pkg.rels(main)
        notes: set[str] = set()
        styles = _load_styles(pkg, _related(pkg, rels, "styles"), notes)

        body = root.find(W_BODY)
        numbering = _Numbering(lambda: _optional_xml(pkg, _related(pkg, rels, "numbering"), notes))
        tables = [0]
        walker = _Walker(styles, numbering, "body", notes, tables)
        if body is not None:
            walker.walk(body)
        else:
            notes.add("该 Word 文件没有正文内容。")

        by_id = {rid: (rtype, name) for rid, rtype, name in rels}
        headers = _furniture(pkg, root, by_id, rels, "header", styles, numbering, notes)
        footers = _furniture(pkg, root, by_id, rels, "footer", styles, numbering, notes)
    log.debug(
        "read docx %s: %d blocks, %d body paragraphs, %d tables",
        path.name,
        len(walker.blocks),
        walker.n_paragraphs,
        tables[0],
    )
    return Document(
        blocks=walker.blocks,
        source_type="docx",
        headers=headers,
        footers=footers,
        notes=sorted(notes),
        problems=[PROBLEM_ENTITIES] if pkg.entities else [],
    )


PROBLEM_ENTITIES = "来函文件中含有实体引用（Word、WPS 不会生成此类内容，文件可能经过改动），未读取其引用的内容，请对照原件人工核对"


def _related(pkg: _Package, rels: list[tuple[str, str, str]], kind: str) -> str | None:
    """The document's styles/numbering part: by relationship, else by its usual name."""
    for _, rtype, name in rels:
        if rtype.endswith("/" + kind) and pkg.has(name):
            return name
    return f"word/{kind}.xml" if pkg.has(f"word/{kind}.xml") else None


def _optional_xml(pkg: _Package, name: str | None, notes: set[str]) -> etree._Element | None:
    """A secondary part (styles, header, footer): damage there costs formatting, not the letter."""
    if name is None:
        return None
    try:
        return pkg.xml(name)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError) as exc:
        log.warning("skipping damaged part %s: %s", name, exc)
        notes.add("Word 文件中部分辅助内容（样式、编号或页眉页脚）已损坏，已跳过，请核对原件。")
        return None


def _furniture(
    pkg: _Package,
    root: etree._Element,
    by_id: dict[str, tuple[str, str]],
    rels: list[tuple[str, str, str]],
    kind: Literal["header", "footer"],
    styles: _Styles,
    numbering: _Numbering,
    notes: set[str],
) -> list[Paragraph]:
    """Headers or footers of all sections (default/first/even), each part once, in section order."""
    ref_tag = W_HEADERREF if kind == "header" else W_FOOTERREF
    names: list[str] = []
    for ref in root.iter(ref_tag):  # only inside sectPr elements; cheap: a few per document
        rel = by_id.get(ref.get(R_ID, ""))
        if rel is not None and rel[1] not in names:
            names.append(rel[1])
    for _, rtype, name in rels:  # parts related but not referenced (lenient with odd producers)
        if rtype.endswith("/" + kind) and name not in names:
            names.append(name)
    out: list[Paragraph] = []
    for name in names:
        if not pkg.has(name):
            continue
        part_root = _optional_xml(pkg, name, notes)
        if part_root is None:
            continue
        walker = _Walker(styles, numbering, kind, notes, [0])
        walker.walk(part_root)
        for block in walker.blocks:
            if isinstance(block, Paragraph):
                out.append(block)
            else:
                out.extend(
                    Paragraph("\t".join(c.text for c in row), Location(part=kind)) for row in block.rows
                )
    kept = [p for p in out if p.text.strip()]
    for i, p in enumerate(kept):
        p.location = Location(part=kind, paragraph=i)
    return kept
