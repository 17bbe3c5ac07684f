"""Text-PDF reader: pdfplumber characters -> a Document of visual lines and ruled tables.

A PDF has no paragraphs, only glyphs at positions. We rebuild what a reader
sees: one Paragraph per visual line (CJK has no spaces, so a space is written
only where the page shows a real gap), ruled tables as Table blocks at their
place in the reading order, a table running over several pages as one table,
and page furniture (page numbers, running headers) kept out of the body.

Work per page is kept to what the bare library does anyway — parse the chars,
find the ruled tables once — and each page's caches are dropped after use, so
long rosters stay fast and small.

Rules worth knowing downstream:
  * a space in a line means a horizontal gap wider than ~0.3 em next to a CJK
    character (0.15 em between Latin ones), or a space glyph; runs of
    whitespace (incl. U+3000) collapse to one ASCII space;
  * `align` comes from the line's position relative to the body text area
    (edges shared by two lines, per page width): "justify" (spans the full
    width), "center", "right" (starts right of 30 % of the text width), else
    "left"; `bold` from a bold font name or fake-bold doubled glyphs;
  * headers/footers: page numbers ("— 1 —", "第1页 共3页", "1/3", "3") in the
    top/bottom 15 % of a page, and lines repeated with the same text (short
    numbers aside) at the same height in the top/bottom 25 % of every page of
    a multi-page file;
  * tables are pdfplumber's ruled ("lines") tables with at least two columns,
    open outer sides closed first; a table continued at the top of the next
    page merges into one, repeated header rows dropped; merged cells repeat
    their text; text in a table never appears as lines;
  * undecodable glyphs become U+FFFD (with a note), never silently dropped;
  * the document is a scan (ScannedLetter) if any page that carries content
    has no usable text layer, so a scanned roster page is never silently lost.

Modules: glyphs (chars -> lines), page (one page's lines and tables),
layout (across pages), reader (the entry point).
"""

from __future__ import annotations

from pipeline.reading.pdf_reader.reader import read_pdf

__all__ = ["read_pdf"]
