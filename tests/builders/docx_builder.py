""".docx test letters, plus the broken kinds of .docx a clerk receives.

`build_docx` lays a LetterSpec out the way a government office types a letter
in Word: A4, 文号 and title centred, addressee flush left, body justified with
a two-character indent, signature block flush right, then the 附件 page with
the 查询对象名单 roster. The options reproduce layouts that trip readers:
a letterhead in a text box (written twice, DrawingML + VML, as Word does), a
merged title row above the roster header, the roster nested inside a layout
table, and a LibreOffice round trip.

The `write_*` helpers make bad inputs (empty, random, truncated, corrupted,
not-a-docx zip, legacy OLE .doc); `rewrite_docx` edits parts of a built file
for producer quirks (no styles part, Strict namespaces, ...).
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document as new_document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from tests.builders.spec import LetterSpec

RED = RGBColor(0xE0, 0x10, 0x10)
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
LETTERHEAD_PT = 30
ROSTER_TITLE = "查询对象名单"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

_ALIGN = {
    "letterhead": WD_ALIGN_PARAGRAPH.CENTER,
    "docnum": WD_ALIGN_PARAGRAPH.CENTER,
    "title": WD_ALIGN_PARAGRAPH.CENTER,
    "addressee": WD_ALIGN_PARAGRAPH.LEFT,
    "body": WD_ALIGN_PARAGRAPH.JUSTIFY,
    "signature": WD_ALIGN_PARAGRAPH.RIGHT,
}
_FONT = {"letterhead": "方正小标宋简体", "title": "方正小标宋简体"}


def _set_font(run, *, size: float = BODY_PT, bold: bool = False, color=None, east_asia: str = "仿宋_GB2312"):
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = parse_xml(f'<w:rFonts xmlns:w="{_W}"/>')
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), east_asia)
    return run


def _role_paragraph(doc, role: str, text: str) -> DocxParagraph:
    p = doc.add_paragraph()
    p.alignment = _ALIGN[role]
    if role == "body":
        p.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
    if role == "letterhead":
        _set_font(p.add_run(text), size=LETTERHEAD_PT, color=RED, east_asia=_FONT[role])
    elif role == "title":
        _set_font(p.add_run(text), size=TITLE_PT, bold=True, east_asia=_FONT[role])
    else:
        _set_font(p.add_run(text))
    return p


def textbox_run_xml(
    text: str, *, size: float = LETTERHEAD_PT, color: str = "E01010", kind: str = "both", shape_id: int = 1
) -> str:
    """A w:r holding a floating text box, as Word writes it.

    kind="both": mc:AlternateContent with the DrawingML box in Choice and the
    same box in VML in Fallback (Word 2010+); "dml": DrawingML only; "vml":
    VML only (Word 2003 compatibility mode, WPS).
    """
    half_points = int(size * 2)
    body = (
        f'<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr>'
        f'<w:rFonts w:eastAsia="方正小标宋简体"/><w:color w:val="{color}"/><w:sz w:val="{half_points}"/>'
        f"</w:rPr><w:t>{escape(text)}</w:t></w:r></w:p>"
    )
    drawing = (
        "<w:drawing>"
        '<wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0" '
        f'relativeHeight="{251659264 + shape_id}" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="margin"><wp:align>center</wp:align></wp:positionH>'
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        '<wp:extent cx="5400000" cy="720000"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:wrapTopAndBottom/><wp:docPr id="{shape_id}" name="Text Box {shape_id}"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr>'
        '<a:xfrm><a:off x="0" y="0"/><a:ext cx="5400000" cy="720000"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>'
        f"<wps:txbx><w:txbxContent>{body}</w:txbxContent></wps:txbx>"
        '<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="t" anchorCtr="0">'
        "<a:noAutofit/></wps:bodyPr></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
    )
    pict = (
        "<w:pict>"
        f'<v:shape id="Text Box {shape_id}" o:spid="_x0000_s{1025 + shape_id}" type="#_x0000_t202" '
        'style="position:absolute;margin-left:0;margin-top:0;width:425.2pt;height:56.7pt;'
        'z-index:251659264;mso-position-horizontal:center;mso-position-horizontal-relative:margin" '
        'filled="f" stroked="f">'
        f'<v:textbox inset="0,0,0,0"><w:txbxContent>{body}</w:txbxContent></v:textbox>'
        '<w10:wrap type="topAndBottom"/></v:shape></w:pict>'
    )
    if kind == "dml":
        inner = drawing
    elif kind == "vml":
        inner = pict
    else:
        inner = (
            f'<mc:AlternateContent><mc:Choice Requires="wps">{drawing}</mc:Choice>'
            f"<mc:Fallback>{pict}</mc:Fallback></mc:AlternateContent>"
        )
    return (
        f'<w:r xmlns:w="{_W}" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        f'xmlns:w10="urn:schemas-microsoft-com:office:word">{inner}</w:r>'
    )


def add_textbox(paragraph: DocxParagraph, text: str, **kwargs) -> DocxParagraph:
    """Anchor a floating text box holding `text` in `paragraph` (at its start)."""
    paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, parse_xml(textbox_run_xml(text, **kwargs)))
    return paragraph


def _fill_table(table: DocxTable, rows: list[list[str]], *, bold_first: int = 1) -> None:
    # row.cells once per row: table.cell(r, c) rescans the table and makes big rosters quadratic
    for r, (row, values) in enumerate(zip(table.rows, rows, strict=False)):
        for cell, value in zip(row.cells, values, strict=False):
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _set_font(p.add_run(value), size=12, bold=r < bold_first)


def _roster_table(container, rows: list[list[str]], *, merged_title: bool) -> DocxTable:
    """The roster as a ruled table; with `merged_title`, one merged 查询对象名单 row on top."""
    width = max(len(r) for r in rows)
    if merged_title:
        table = container.add_table(rows=len(rows) + 1, cols=width)
        title_cell = table.cell(0, 0).merge(table.cell(0, width - 1))
        _set_font(title_cell.paragraphs[0].add_run(ROSTER_TITLE), size=14, bold=True)
        title_cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        for r, (row, values) in enumerate(zip(table.rows[1:], rows, strict=False)):
            for cell, value in zip(row.cells, values, strict=False):
                p = cell.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _set_font(p.add_run(value), size=12, bold=r == 0)
    else:
        table = container.add_table(rows=len(rows), cols=width)
        _fill_table(table, rows)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    return table


def _roster_chunks(spec: LetterSpec) -> list[list[list[str]]]:
    rows = spec.roster_rows()
    header, people = rows[0], rows[1:]
    if spec.roster_split and 0 < spec.roster_split < len(people):
        n = spec.roster_split
        return [[header, *people[:n]], [header, *people[n:]]]
    return [rows]


def build_docx(
    spec: LetterSpec,
    path: Path,
    *,
    textbox_letterhead: bool = False,
    merged_header: bool = False,
    nested_table: bool = False,
    via_libreoffice: bool = False,
    textbox_kind: str = "both",
) -> Path:
    """Write `spec` as a Word letter at `path` (see the module docstring for the options).

    With `textbox_letterhead` the letterhead (or, when the spec has none, the
    unit's signature line) sits in a text box anchored in an otherwise empty
    paragraph where that line would be.
    """
    path = Path(path)
    doc = new_document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    normal.font.name = "Times New Roman"

    boxed_role = "letterhead" if spec.letterhead else "signature"
    boxed_done = False
    for role, text in spec.front_matter():
        if textbox_letterhead and role == boxed_role and not boxed_done:
            boxed_done = True
            anchor = doc.add_paragraph()
            anchor.alignment = _ALIGN[role]
            size = LETTERHEAD_PT if role == "letterhead" else BODY_PT
            add_textbox(anchor, text, size=size, kind=textbox_kind)
            continue
        _role_paragraph(doc, role, text)

    if spec.header_text:
        hp = section.header.paragraphs[0]
        hp.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(hp.add_run(spec.header_text), size=10)
    if spec.footer_text:
        fp = section.footer.paragraphs[0]
        fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(fp.add_run(spec.footer_text), size=14)

    # The attachment page: 附件 flush left on a new page, then the roster title.
    att = doc.add_paragraph()
    att.paragraph_format.page_break_before = True
    att.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _set_font(att.add_run("附件"), east_asia="黑体")
    if not merged_header or spec.roster_as == "text":
        heading = doc.add_paragraph()
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(heading.add_run(ROSTER_TITLE), size=18, bold=True, east_asia="方正小标宋简体")

    if spec.roster_as == "text":
        for line in spec.roster_lines():
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT
            _set_font(p.add_run(line))
    else:
        container = doc
        if nested_table:
            layout = doc.add_table(rows=1, cols=1)
            container = layout.cell(0, 0)
        for i, chunk in enumerate(_roster_chunks(spec)):
            if i:
                container.add_paragraph()  # adjacent tables would fuse into one in Word
            _roster_table(container, chunk, merged_title=merged_header and i == 0)

    path.parent.mkdir(parents=True, exist_ok=True)
    if not via_libreoffice:
        doc.save(str(path))
        return path
    with tempfile.TemporaryDirectory(prefix="docx-build-") as tmp:
        src = Path(tmp) / "src" / "letter.docx"
        src.parent.mkdir()
        doc.save(str(src))
        out = libreoffice_convert(src, Path(tmp) / "out", "docx")
        shutil.move(str(out), str(path))
    return path


def libreoffice_convert(src: Path, out_dir: Path, target: str = "docx", *, timeout: float = 180) -> Path:
    """Convert with `soffice --headless --convert-to`, using a private profile so parallel runs don't clash."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise FileNotFoundError("soffice not on PATH")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                target,
                "--outdir",
                str(out_dir),
                str(src),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    out = out_dir / (src.stem + "." + target.split(":")[0])
    if not out.exists():
        raise RuntimeError(f"LibreOffice did not produce {out.name}")
    return out


# --- bad inputs ------------------------------------------------------------------


def write_empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def write_random(path: Path, size: int = 4096, seed: int = 0) -> Path:
    """Noise that starts with no known magic number."""
    data = random.Random(seed).randbytes(size)
    path.write_bytes(b"\x00NOISE" + data)
    return path


def write_truncated_docx(spec: LetterSpec, path: Path, *, keep: float = 0.5) -> Path:
    """A .docx cut short (interrupted download): local headers intact, central directory gone."""
    build_docx(spec, path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def write_corrupted_docx(spec: LetterSpec, path: Path, part: str = "word/document.xml") -> Path:
    """A .docx whose zip directory is fine but whose `part` data is garbled (bad sectors, bad mail gateway)."""
    build_docx(spec, path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(part)
    name_len = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    for i in range(start + 10, start + min(info.compress_size, 400) - 10):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


def write_encrypted_entries_docx(spec: LetterSpec, path: Path) -> Path:
    """A .docx whose zip entries are flagged as password-protected (zip-level encryption)."""
    build_docx(spec, path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        pos = zf.start_dir
        for _ in zf.infolist():
            data[pos + 8] |= 0x01  # general-purpose flag bit 0: encrypted
            name_len, extra_len, comment_len = (
                int.from_bytes(data[pos + k : pos + k + 2], "little") for k in (28, 30, 32)
            )
            pos += 46 + name_len + extra_len + comment_len
    path.write_bytes(bytes(data))
    return path


def write_zip_not_docx(path: Path) -> Path:
    """A zip archive with no Word document inside (someone zipped the attachments)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("名单.txt", "王伟\n")
        zf.writestr("readme.md", "not a letter")
    return path


def write_ole(path: Path) -> Path:
    """The first bytes of a legacy .doc (OLE compound file), as Word 97-2003 and encrypted .docx start."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    path.write_bytes(header + b"\x00" * (4096 - len(header)))
    return path


def rewrite_docx(src: Path, dst: Path, edit: Callable[[str, bytes], bytes | None]) -> Path:
    """Copy a .docx part by part through `edit(name, data)`; returning None drops the part."""
    buf = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
    dst.write_bytes(buf.getvalue())
    return dst


def write_bad_xml_docx(spec: LetterSpec, path: Path) -> Path:
    """A valid zip whose word/document.xml is cut mid-element (a generator that crashed)."""
    build_docx(spec, path)
    return rewrite_docx(
        path, path, lambda name, data: data[: len(data) // 2] if name == "word/document.xml" else data
    )


def write_docx_without_document(spec: LetterSpec, path: Path) -> Path:
    """A Word package with every part but word/document.xml."""
    build_docx(spec, path)
    return rewrite_docx(path, path, lambda name, data: None if name == "word/document.xml" else data)
