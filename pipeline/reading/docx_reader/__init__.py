"""Read a .docx letter into a Document (a private package: its modules share their _names).

We read the package ourselves (zipfile + lxml) instead of through python-docx:
python-docx builds a wrapper object per paragraph/run/cell and parses parts we
never use, and it is strict about package details that WPS and home-made
generators get wrong. Walking the lxml tree directly is both faster and more
lenient.

What the Document looks like (extraction relies on this):

* Body paragraphs and tables in body order. Content controls (w:sdt) and
  custom-XML wrappers are transparent. Every body paragraph counts for
  `Location.paragraph`, empty ones included.
* Tables are grids: gridSpan/hMerge/vMerge repeat the merged text into every
  slot they cover, gridBefore/gridAfter give empty slots, short rows are
  padded, so each row has the table's full width. `Location.table` numbers
  every table in reading order (nested and text-box tables included).
* A table nested inside a cell is cut out of the cell: the outer table is split
  after the row holding it and the nested table follows as its own Table, then
  the outer table continues (same table index, real row numbers). Outer pieces
  whose cells are all blank (pure layout) are dropped, so a roster inside a
  one-cell layout table reads as an ordinary table.
* Text boxes (DrawingML wps:txbx and VML v:textbox, and VML WordArt's
  v:textpath) become Paragraphs with
  `Location(part="textbox", paragraph=<anchor body paragraph>)`. For
  mc:AlternateContent only the Choice branch is read, so a box Word wrote twice
  (Choice + Fallback) appears once. Text-box text inside a table cell is
  appended to that cell's text.
* Headers and footers of every section go to Document.headers/footers (tables
  there flattened to one tab-joined Paragraph per row; blank lines dropped).
* Tracked changes are read as accepted (insertions kept, deletions dropped);
  hidden text (w:vanish) and field codes are skipped. Line breaks are "\n",
  tabs "\t"; a page break inside a paragraph is "\n", at its edges nothing.
* Word's automatic list numbers are drawn into the text as Word shows them
  ("1.\t王伟", "一、总体要求", an auto-numbered 序号 cell reads "3"); bullets
  add nothing.
* Problems the clerk should know about (embedded Excel objects, altChunks,
  hidden text, damaged style/header parts) go to Document.notes in Chinese.
"""

from __future__ import annotations

from pipeline.reading.docx_reader.reader import read_docx

__all__ = ["read_docx"]
