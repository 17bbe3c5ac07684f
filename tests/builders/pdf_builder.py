"""Text-PDF test letters, plus the broken kinds of PDF a clerk receives.

`build_pdf` lays a LetterSpec out on A4 with reportlab's canvas (not platypus)
so every string is drawn by one function: that is what makes `fake_bold`
(each string drawn twice, 0.3 pt apart, as some office suites do) possible.
The layout follows a printed government letter: 文号 and title centred, the
addressee flush left, the body indented two characters, the signature block
towards the right, the roster on its own page as a ruled table whose header
row repeats on every page.
"""

from __future__ import annotations

import glob
import io
import os
from pathlib import Path
from typing import Literal

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas

from tests.builders.spec import LetterSpec

PAGE_W, PAGE_H = A4
MARGIN_L = 79.0
MARGIN_R = 79.0
MARGIN_T = 72.0
MARGIN_B = 80.0
RED = Color(0.85, 0.1, 0.1)

FONT = "LettersCJK"

# Fonts reportlab can embed (TrueType outlines; CFF-based OTF such as Noto CJK is not usable).
_FONT_CANDIDATES: list[tuple[str, int]] = [
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
]
_FONT_GLOBS = ("wqy-*.tt[cf]", "uming.tt[cf]", "ukai.tt[cf]", "DroidSansFallback*.ttf", "simsun.tt[cf]")


class NoCJKFont(RuntimeError):
    """No embeddable CJK TrueType font on this machine (tests needing one skip)."""


def find_cjk_font() -> tuple[str, int]:
    """Path and sub-font index of a CJK TrueType font, looked up where Debian and
    most Linux distributions install them."""
    for path, index in _FONT_CANDIDATES:
        if os.path.exists(path):
            return path, index
    for root in ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts")):
        for pattern in _FONT_GLOBS:
            hits = sorted(glob.glob(os.path.join(root, "**", pattern), recursive=True))
            if hits:
                return hits[0], 0
    raise NoCJKFont("no CJK TrueType font found (install fonts-wqy-zenhei or fonts-arphic-uming)")


_FALLBACK_FONTS = [  # for characters the CJK font lacks (e.g. U+2022 bullet in names)
    ("LettersFallback1", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
    ("LettersFallback2", "/usr/share/fonts/truetype/arphic/uming.ttc", 0),
]
_fonts: list[tuple[str, set[int]]] = []


def register_cjk_font() -> str:
    """Register the CJK font (and fallbacks) with reportlab once; returns its reportlab name."""
    if not _fonts:
        path, index = find_cjk_font()
        font = TTFont(FONT, path, subfontIndex=index)
        pdfmetrics.registerFont(font)
        _fonts.append((FONT, set(font.face.charToGlyph)))
        for name, fpath, findex in _FALLBACK_FONTS:
            if os.path.exists(fpath) and fpath != path:
                fb = TTFont(name, fpath, subfontIndex=findex)
                pdfmetrics.registerFont(fb)
                _fonts.append((name, set(fb.face.charToGlyph)))
    return FONT


def _runs(s: str) -> list[tuple[str, str]]:
    """Split text into (font, text) runs so every character gets a real glyph."""
    register_cjk_font()
    runs: list[tuple[str, str]] = []
    for ch in s:
        font = next((name for name, cmap in _fonts if ord(ch) in cmap or ch.isspace()), FONT)
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


# --- a tiny layout engine on top of the canvas -----------------------------------------


class _Writer:
    """Cursor-based page writer: draws strings (optionally twice for fake bold),
    page furniture and page breaks."""

    def __init__(
        self,
        spec: LetterSpec,
        path: Path,
        *,
        fake_bold: bool,
        encrypt: object = None,
        page_number: str = "— {n} —",
        total_pages: int = 0,
        header_from_page: int = 1,
    ) -> None:
        self.spec = spec
        self.header_from_page = header_from_page
        self.page_number = page_number
        self.total_pages = total_pages
        self.fake_bold = fake_bold
        self.font = register_cjk_font()
        self.c = rl_canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt, pageCompression=1)
        self.c.setTitle(spec.title_text())
        self.page = 1
        self.y = PAGE_H - MARGIN_T  # baseline cursor, reportlab coordinates (origin bottom-left)

    # drawing primitives

    def text(
        self, x: float, y: float, s: str, size: float, *, color: Color = black, stroke: bool = False
    ) -> None:
        c = self.c
        c.setFillColor(color)
        c.setStrokeColor(color)
        offsets = (0.0, 0.3) if self.fake_bold else (0.0,)
        for dx in offsets:
            t = c.beginText(x + dx, y)
            if stroke:  # heavier strokes for titles: fill + stroke, still one glyph per character
                c.setLineWidth(size / 40)
                t.setTextRenderMode(2)
            for font, run in _runs(s):
                t.setFont(font, size)
                t.textOut(run)
            c.drawText(t)
        c.setFillColor(black)
        c.setStrokeColor(black)

    def width(self, s: str, size: float) -> float:
        return sum(pdfmetrics.stringWidth(run, font, size) for font, run in _runs(s))

    # furniture and flow

    def furniture(self) -> None:
        spec = self.spec
        if spec.header_text and self.page >= self.header_from_page:
            w = self.width(spec.header_text, 10.5)
            self.text((PAGE_W - w) / 2, PAGE_H - 40, spec.header_text, 10.5)
            self.c.setLineWidth(0.5)
            self.c.line(MARGIN_L, PAGE_H - 46, PAGE_W - MARGIN_R, PAGE_H - 46)
        if spec.footer_text:
            w = self.width(spec.footer_text, 10.5)
            self.text((PAGE_W - w) / 2, 52, spec.footer_text, 10.5)
        number = self.page_number.format(n=self.page, total=self.total_pages)
        w = self.width(number, 14)
        x = PAGE_W - MARGIN_R - w if self.page % 2 else MARGIN_L  # odd pages right, even left (公文 style)
        self.text(x, 30, number, 14)

    def new_page(self) -> None:
        self.furniture()
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN_T

    def need(self, height: float) -> None:
        if self.y - height < MARGIN_B:
            self.new_page()

    def line(self, s: str, size: float, align: str = "left", *, indent: float = 0.0, **kw: object) -> None:
        """One visual line at the cursor; advances the cursor by the line pitch."""
        pitch = size * 1.75
        self.need(pitch)
        self.y -= size * 1.2
        w = self.width(s, size)
        if align == "center":
            x = (PAGE_W - w) / 2
        elif align == "right":
            x = PAGE_W - MARGIN_R - indent - w
        else:
            x = MARGIN_L + indent
        self.text(x, self.y, s, size, **kw)  # type: ignore[arg-type]
        self.y -= pitch - size * 1.2

    def paragraph(
        self, s: str, size: float, *, first_indent: float, align: str = "left", **kw: object
    ) -> None:
        """Wrap CJK text character by character to the text width."""
        avail = PAGE_W - MARGIN_L - MARGIN_R
        indent = first_indent
        while s:
            n = 1
            while n < len(s) and self.width(s[: n + 1], size) <= avail - indent:
                n += 1
            # keep closing punctuation with its line (simple 避头 rule)
            while n < len(s) and s[n] in "，。、；：！？）》」』”":
                n += 1
            self.line(s[:n], size, align if n == len(s) else "left", indent=indent, **kw)
            s = s[n:]
            indent = 0.0

    def save(self) -> None:
        self.furniture()
        self.c.showPage()
        self.c.save()


def _front_matter(w: _Writer) -> None:
    for role, text in w.spec.front_matter():
        if role == "letterhead":
            w.line(text, 24, "center", color=RED, stroke=True)
            w.y -= 8
        elif role == "docnum":
            w.line(text, 16, "center")
            w.y -= 6
            w.c.setStrokeColor(RED)
            w.c.setLineWidth(1.2)
            w.c.line(MARGIN_L, w.y, PAGE_W - MARGIN_R, w.y)  # the red separator rule of 公文
            w.c.setStrokeColor(black)
            w.y -= 14
        elif role == "title":
            w.paragraph(text, 20, first_indent=0, align="center", stroke=True)
            w.y -= 10
        elif role == "addressee":
            w.line(text, 16, "left")
        elif role == "body":
            w.paragraph(text, 16, first_indent=32)
        elif role == "signature":
            w.line(text, 16, "right", indent=32)
        else:  # unknown roles still appear, as body text
            w.paragraph(text, 16, first_indent=32)


def _column_widths(w: _Writer, rows: list[list[str]], size: float) -> tuple[list[float], float]:
    """Column widths from the widest text in each column; the font shrinks
    (down to 8 pt) when the roster is too wide for the page."""
    avail = PAGE_W - MARGIN_L - MARGIN_R
    ncols = max(len(r) for r in rows)
    while True:
        natural = [max(w.width(r[c], size) for r in rows if c < len(r)) + 12 for c in range(ncols)]
        if sum(natural) <= avail or size <= 8:
            break
        size -= 0.5
    extra = max(0.0, avail - sum(natural)) / ncols
    return [n + extra for n in natural], size


def _table(
    w: _Writer,
    rows: list[list[str]],
    *,
    repeat_header: bool = True,
    rules: str = "grid",
    size: float = 12.0,
    row_h: float = 24.0,
) -> None:
    """A ruled table; the header row is repeated at the top of every page it runs onto
    (unless `repeat_header` is off, as in many hand-made Word tables)."""
    header, body = rows[0], rows[1:]
    widths, size = _column_widths(w, rows, size)
    xs = [MARGIN_L]
    for cw in widths:
        xs.append(xs[-1] + cw)

    def draw_rows(chunk: list[list[str]]) -> None:
        top = w.y
        ys = [top - i * row_h for i in range(len(chunk) + 1)]
        w.c.setLineWidth(0.75)
        if rules == "grid":
            w.c.grid(xs, ys)
        elif rules == "open_sides":  # every row ruled, inner column lines, no outer left/right border
            for y in ys:
                w.c.line(xs[0], y, xs[-1], y)
            for x in xs[1:-1]:
                w.c.line(x, ys[0], x, ys[-1])
        else:  # 三线表: top rule, rule under the header, bottom rule
            w.c.setLineWidth(1.5)
            w.c.line(xs[0], ys[0], xs[-1], ys[0])
            w.c.line(xs[0], ys[-1], xs[-1], ys[-1])
            w.c.setLineWidth(0.75)
            if len(ys) > 2:
                w.c.line(xs[0], ys[1], xs[-1], ys[1])
        for r, row in enumerate(chunk):
            baseline = ys[r] - row_h / 2 - size * 0.35
            for col, cell in enumerate(row):
                cw = w.width(cell, size)
                w.text(xs[col] + (widths[col] - cw) / 2, baseline, cell, size)
        w.y = ys[-1]

    pending = list(body)
    first = True
    while pending or first:
        w.need(row_h * 2)
        fit = max(1, int((w.y - MARGIN_B) // row_h) - 1)
        chunk, pending = pending[:fit], pending[fit:]
        draw_rows([header, *chunk] if first or repeat_header else chunk)
        first = False
        if pending:
            w.new_page()
    w.y -= 12


def build_pdf(
    spec: LetterSpec,
    path: Path,
    *,
    fake_bold: bool = False,
    roster_on_new_page: bool = True,
    repeat_header: bool = True,
    table_rules: Literal["grid", "open_sides", "three_line"] = "grid",
    page_number: str = "— {n} —",
    header_from_page: int = 1,
    encrypt: object = None,
) -> Path:
    """Render `spec` as a text PDF (A4, embedded CJK TrueType font).

    `page_number` is the footer format ({n} = this page, {total} = page
    count, e.g. "第{n}页 共{total}页"); `table_rules` how the roster table is
    ruled (full grid, rows and inner columns only, or a 三线表);
    `header_from_page` > 1 leaves the header off the first pages; `encrypt` is passed to reportlab's
    canvas (a password or a `reportlab.lib.pdfencrypt.StandardEncryption`).
    """
    path = Path(path)
    total = 0
    if "{total}" in page_number:  # the canvas cannot know the page count ahead: lay out twice
        total = _render(
            spec,
            path,
            fake_bold,
            roster_on_new_page,
            repeat_header,
            table_rules,
            page_number,
            0,
            None,
            header_from_page,
        )
    _render(
        spec,
        path,
        fake_bold,
        roster_on_new_page,
        repeat_header,
        table_rules,
        page_number,
        total,
        encrypt,
        header_from_page,
    )
    return path


def _render(
    spec: LetterSpec,
    path: Path,
    fake_bold: bool,
    roster_on_new_page: bool,
    repeat_header: bool,
    table_rules: str,
    page_number: str,
    total: int,
    encrypt: object,
    header_from_page: int,
) -> int:
    w = _Writer(
        spec,
        path,
        fake_bold=fake_bold,
        encrypt=encrypt,
        page_number=page_number,
        total_pages=total,
        header_from_page=header_from_page,
    )
    _front_matter(w)
    if roster_on_new_page:
        w.new_page()
        w.line("附件", 16, "left")
        w.line("查询对象名单", 20, "center", stroke=True)
    else:
        w.y -= 10
    rows = spec.roster_rows()
    if spec.roster_as == "text":
        for text in spec.roster_lines():
            w.line(text, 14, "left")
    elif spec.roster_split is not None and 0 < spec.roster_split < len(rows) - 1:
        _table(w, rows[: spec.roster_split + 1], repeat_header=repeat_header, rules=table_rules)
        w.y -= 12
        _table(w, [rows[0], *rows[spec.roster_split + 1 :]], repeat_header=repeat_header, rules=table_rules)
    else:
        _table(w, rows, repeat_header=repeat_header, rules=table_rules)
    w.save()
    return w.page


# --- other producers and broken files --------------------------------------------------


def build_pdf_via_libreoffice(docx_path: Path, out_dir: Path, *, timeout: float = 180) -> Path:
    """Convert a .docx with LibreOffice, as most letters in the wild are made."""
    from tests.builders.docx_builder import libreoffice_convert

    return libreoffice_convert(Path(docx_path), Path(out_dir), "pdf", timeout=timeout)


def _render_scan_image(lines: list[str], *, dpi: int = 100):  # -> PIL.Image.Image
    """A grey-ish 'scanned' A4 page with the given lines written on it."""
    from PIL import Image, ImageDraw, ImageFont

    px_w, px_h = int(8.27 * dpi), int(11.69 * dpi)
    img = Image.new("L", (px_w, px_h), 245)
    draw = ImageDraw.Draw(img)
    try:
        path, index = find_cjk_font()
        font = ImageFont.truetype(path, size=int(dpi * 0.22), index=index)
    except (NoCJKFont, OSError):
        font = ImageFont.load_default()
    y = int(dpi * 1.1)
    for text in lines:
        draw.text((int(dpi * 1.1), y), text, fill=20, font=font)
        y += int(dpi * 0.4)
    return img


def build_image_only_pdf(path: Path, lines: list[str] | None = None, *, pages: int = 1) -> Path:
    """A PDF whose pages are nothing but a raster image: no text layer at all."""
    path = Path(path)
    lines = lines if lines is not None else ["关于申请查询社会信用记录的函", "省信息中心（省信用办）："]
    img = _render_scan_image(lines)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    c = rl_canvas.Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        buf.seek(0)
        c.drawImage(ImageReader(buf), 0, 0, width=PAGE_W, height=PAGE_H)
        c.showPage()
    c.save()
    return path


def _write_raw_pdf(path: Path, objects: list[bytes]) -> Path:
    """Write numbered objects (1..n, object 1 the catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    Path(path).write_bytes(bytes(out))
    return Path(path)


def build_cid_garbage_pdf(
    path: Path, *, lines: int = 12, chars_per_line: int = 20, readable: list[str] | None = None
) -> Path:
    """A PDF whose text uses a Type0/Identity-H font without a ToUnicode map.

    Text extraction can only report glyph ids, which pdfminer prints as
    "(cid:NN)": the page has text objects but no readable text, like letters
    printed to PDF from some scanning and typesetting software. `readable`
    lines (ASCII, Helvetica) are drawn too, for a mostly-readable page with a
    few undecodable glyphs.
    """
    ops = ["BT", "/F1 14 Tf"]
    cid = 1200
    for i in range(lines):
        codes = "".join(f"{cid + i * chars_per_line + j:04X}" for j in range(chars_per_line))
        ops.append(f"1 0 0 1 80 {760 - i * 28} Tm <{codes}> Tj")
    ops.append("/F2 14 Tf")
    for i, text in enumerate(readable or []):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"1 0 0 1 80 {400 - i * 28} Tm ({escaped}) Tj")
    ops.append("ET")
    stream = "\n".join(ops).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] "
        b"/Resources << /Font << /F1 5 0 R /F2 8 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SimSun /Encoding /Identity-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+SimSun "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/FontDescriptor 7 0 R /DW 1000 /CIDToGIDMap /Identity >>",
        b"<< /Type /FontDescriptor /FontName /ABCDEF+SimSun /Flags 4 /FontBBox [0 -141 1000 859] "
        b"/ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 700 /StemV 80 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return _write_raw_pdf(path, objects)


def build_encrypted_pdf(spec: LetterSpec, path: Path, *, user_password: str = "123456") -> Path:
    """A letter that needs a password to open (an empty password gives a PDF
    that is encrypted but opens without one)."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    enc = StandardEncryption(user_password, ownerPassword="owner-" + (user_password or "x"), canPrint=1)
    return build_pdf(spec, path, encrypt=enc)


def build_truncated_pdf(spec: LetterSpec, path: Path, *, keep: float = 0.6) -> Path:
    """A letter cut off part-way, like an interrupted download."""
    path = Path(path)
    build_pdf(spec, path)
    data = path.read_bytes()
    path.write_bytes(data[: max(16, int(len(data) * keep))])
    return path


def build_text_then_image_pdf(path: Path, text_lines: list[str]) -> Path:
    """Page 1 typed (a text layer), page 2 a scanned image: a letter whose roster
    page was scanned and appended."""
    path = Path(path)
    font = register_cjk_font()
    img = _render_scan_image(["附件", "查询对象名单", "1 王伟 610102199001011231"])
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    buf.seek(0)
    c = rl_canvas.Canvas(str(path), pagesize=A4)
    y = PAGE_H - MARGIN_T
    for text in text_lines:
        c.setFont(font, 16)
        c.drawString(MARGIN_L, y, text)
        y -= 28
    c.showPage()
    c.drawImage(ImageReader(buf), 0, 0, width=PAGE_W, height=PAGE_H)
    c.showPage()
    c.save()
    return path
