"""The body walker: paragraphs, runs, tables with merged cells, nested tables and text boxes, in reading order."""

from __future__ import annotations

from lxml import etree

from pipeline.document import Block, Cell, Location, Paragraph, Part, Table
from pipeline.reading.docx_reader.numbering import _Numbering
from pipeline.reading.docx_reader.runs import _find_boxes, _labelled, _Para, _symbol
from pipeline.reading.docx_reader.styles import _num_pr, _Styles
from pipeline.reading.docx_reader.tags import (
    _ALIGN,
    _BLANKS,
    _BLOCKS,
    _CELL,
    _CELL_BLOCKS,
    _COMPLEX_CELLS,
    _INLINE_WRAPPERS,
    _PAGE_BREAK,
    _ROW,
    _SHAPES,
    MC_ALT,
    O_OLEOBJECT,
    V_TEXTPATH,
    W_B,
    W_BR,
    W_CHAR,
    W_CR,
    W_GRIDAFTER,
    W_GRIDBEFORE,
    W_GRIDSPAN,
    W_HMERGE,
    W_JC,
    W_NOBREAKHYPHEN,
    W_NUMPR,
    W_OBJECT,
    W_P,
    W_PPR,
    W_PSTYLE,
    W_PTAB,
    W_R,
    W_RPR,
    W_RSTYLE,
    W_RUBY,
    W_RUBYBASE,
    W_SDT,
    W_SDTCONTENT,
    W_SYM,
    W_SZ,
    W_T,
    W_TAB,
    W_TBL,
    W_TCPR,
    W_TRPR,
    W_TYPE,
    W_VAL,
    W_VANISH,
    W_VMERGE,
    _choose,
    _flatten,
    _int,
    _on,
    _size,
)


class _Walker:
    """Turns one XML part (body, header or footer) into blocks."""

    def __init__(
        self,
        styles: _Styles,
        numbering: _Numbering,
        part: Part,
        notes: set[str],
        table_counter: list[int],
    ) -> None:
        self.styles = styles
        self.numbering = numbering
        self.part = part
        self.notes = notes
        self.blocks: list[Block] = []
        self.n_paragraphs = 0
        self._tables = table_counter  # shared so table indexes are unique per part kind
        self._anchor: int | None = None  # body paragraph index while inside a text box
        self._complex: set[etree._Element] | None = None  # cells of the current table needing the full walk

    # -- blocks --

    def walk(self, container: etree._Element) -> None:
        for el in _flatten(container, _BLOCKS):
            if el.tag == W_P:
                self._paragraph(el)
            elif el.tag == W_TBL:
                self._table(el)
            else:
                self.notes.add("文件中含有嵌入的外部文档片段（altChunk），其内容未读取，请人工核对原件。")

    def _paragraph(self, p: etree._Element) -> None:
        pstyle = jc = num = None
        mark_sz = mark_bold = None
        ppr = p[0] if len(p) and p[0].tag == W_PPR else ()
        for prop in ppr:
            tag = prop.tag
            if tag == W_PSTYLE:
                pstyle = prop.get(W_VAL)
            elif tag == W_JC:
                jc = prop.get(W_VAL)
            elif tag == W_NUMPR:
                num = _num_pr(prop)
            elif tag == W_RPR:
                for rp in prop:
                    if rp.tag == W_SZ:
                        mark_sz = _size(rp)
                    elif rp.tag == W_B:
                        mark_bold = _on(rp)
        s_jc, s_sz, s_bold = self.styles.para(pstyle)
        acc = _Para()
        self._inline(p, acc, s_sz, s_bold, True)
        label = self._label(num, pstyle)

        if acc.chars:
            font_size: float | None = max(acc.sizes.items(), key=lambda kv: kv[1])[0] if acc.sizes else None
            bold: bool | None = acc.bold_chars * 2 > acc.chars
        else:  # empty paragraph: what its mark (or style) says
            font_size = mark_sz if mark_sz is not None else s_sz
            bold = mark_bold if mark_bold is not None else s_bold
        if self._anchor is None:
            index = self.n_paragraphs
            self.n_paragraphs += 1
            location = Location(part=self.part, paragraph=index)
        else:
            index = self._anchor
            location = Location(part="textbox" if self.part == "body" else self.part, paragraph=index)
        paragraph = Paragraph(
            text=_labelled(label, acc.text()),
            location=location,
            align=_ALIGN.get(jc or s_jc or "left"),
            font_size=font_size,
            bold=bold,
        )
        # Text boxes go right BEFORE their anchor paragraph when no text precedes
        # the anchor run (floating boxes, the usual letterhead case, are anchored
        # at the start of the paragraph and drawn from its top), otherwise right
        # AFTER it (an inline box following the paragraph's text).
        before = [box for first, box in acc.boxes if first]
        after = [box for first, box in acc.boxes if not first]
        for box in before:
            self._textbox(box, index)
        self.blocks.append(paragraph)
        for box in after:
            self._textbox(box, index)

    def _label(self, num: tuple[str | None, str | None] | None, pstyle: str | None) -> str | None:
        """The list label Word would draw before this paragraph (advancing the list)."""
        if num is None:
            num = self.styles.num(pstyle)
            if num is None:
                return None
        elif num[0] is None:  # numPr with only an ilvl: the numId comes from the style
            inherited = self.styles.num(pstyle)
            num = (inherited[0] if inherited else None, num[1])
        return self.numbering.label(num[0], num[1])

    def _textbox(self, content: etree._Element, anchor: int) -> None:
        if content.tag == V_TEXTPATH:  # VML WordArt: one line of text in an attribute
            text = content.get("string", "")
            if text:
                part: Part = "textbox" if self.part == "body" else self.part
                self.blocks.append(Paragraph(text, Location(part=part, paragraph=anchor), align="center"))
            return
        outer = self._anchor
        self._anchor = anchor if outer is None else outer
        try:
            self.walk(content)
        finally:
            self._anchor = outer

    # -- inline content --

    def _inline(self, el: etree._Element, acc: _Para, sz: float | None, bold: bool | None, fmt: bool) -> None:
        for child in el:
            tag = child.tag
            if tag == W_R:
                self._run(child, acc, sz, bold, fmt)
            elif tag in _INLINE_WRAPPERS:
                self._inline(child, acc, sz, bold, fmt)
            elif tag == W_SDT:
                content = child.find(W_SDTCONTENT)
                if content is not None:
                    self._inline(content, acc, sz, bold, fmt)
            elif tag == MC_ALT:
                branch = _choose(child)
                if branch is not None:
                    self._inline(branch, acc, sz, bold, fmt)

    def _run(self, r: etree._Element, acc: _Para, p_sz: float | None, p_bold: bool | None, fmt: bool) -> None:
        sz = bold = rstyle = None
        parts: list[str] = []
        for child in r:
            tag = child.tag
            if tag == W_T:
                if child.text:
                    parts.append(child.text)
            elif tag == W_RPR:
                for prop in child:
                    ptag = prop.tag
                    if ptag == W_SZ:
                        sz = _size(prop)
                    elif ptag == W_B:
                        bold = _on(prop)
                    elif ptag == W_RSTYLE:
                        rstyle = prop.get(W_VAL)
                    elif ptag == W_VANISH and _on(prop):
                        self.notes.add("文件中含有隐藏文字，已忽略（以打印可见内容为准）。")
                        return
            elif tag in (W_TAB, W_PTAB):
                parts.append("\t")
            elif tag == W_BR:
                kind = child.get(W_TYPE)
                parts.append(_PAGE_BREAK if kind in ("page", "column") else "\n")
            elif tag == W_CR:
                parts.append("\n")
            elif tag == W_NOBREAKHYPHEN:
                parts.append("-")
            elif tag == W_SYM:
                ch = _symbol(child.get(W_CHAR))
                if ch:
                    parts.append(ch)
            elif tag in _SHAPES:
                if tag == W_OBJECT and child.find(f".//{O_OLEOBJECT}") is not None:
                    self.notes.add("文件中含有嵌入对象（如 Excel 表格），其内容未读取，请人工核对原件。")
                first = not (acc.nonblank or any(p.strip() for p in parts))
                for box in _find_boxes(child):
                    acc.boxes.append((first, box))
            elif tag == W_RUBY:
                base = child.find(W_RUBYBASE)
                if base is not None:
                    self._inline(base, acc, p_sz, p_bold, fmt)
        if not parts:
            return
        text = "".join(parts)
        acc.parts.append(text)
        n = len(text) - sum(text.count(c) for c in _BLANKS)
        if n <= 0:
            return
        acc.nonblank = True
        if not fmt:
            return
        if rstyle is not None and (sz is None or bold is None):
            c_sz, c_bold = self.styles.char(rstyle)
            sz = c_sz if sz is None else sz
            bold = c_bold if bold is None else bold
        sz = p_sz if sz is None else sz
        bold = p_bold if bold is None else bold
        acc.chars += n
        if sz is not None:
            acc.sizes[sz] = acc.sizes.get(sz, 0) + n
        if bold:
            acc.bold_chars += n

    # -- tables --

    def _table(self, tbl: etree._Element) -> None:
        if self._complex is None:  # outermost table: find the cells that need the full walk
            self._complex = set(_COMPLEX_CELLS(tbl))
            try:
                self._table_in(tbl)
            finally:
                self._complex = None
            return
        self._table_in(tbl)

    def _table_in(self, tbl: etree._Element) -> None:
        index = self._tables[0]
        self._tables[0] += 1
        part: Part = "textbox" if self._anchor is not None and self.part == "body" else self.part
        table_loc = Location(part=part, table=index)
        # Pieces are appended to self.blocks as soon as they end (so nested tables
        # land after them) and get their cells once the table's width is known.
        pieces: list[tuple[Table, list[tuple[int, list[str]]]]] = []
        rows: list[tuple[int, list[str]]] = []
        prev: list[str] = []  # previous row's slot texts, for vMerge continuation
        has_nested = False

        def flush(keep_blank: bool) -> None:
            nonlocal rows
            if rows and (keep_blank or any(t.strip() for _, texts in rows for t in texts)):
                table = Table(rows=[], location=table_loc)
                self.blocks.append(table)
                pieces.append((table, rows))
            rows = []

        for r, tr in enumerate(_flatten(tbl, _ROW)):
            nested: list[etree._Element] = []
            texts = self._row(tr, prev, nested)
            prev = texts
            rows.append((r, texts))
            if nested:
                has_nested = True
                flush(False)
                for inner in nested:
                    self._table_in(inner)
        flush(not has_nested)

        width = max((len(texts) for _, piece in pieces for _, texts in piece), default=0)
        for table, piece in pieces:
            table.rows = [
                [
                    Cell(texts[c] if c < len(texts) else "", Location(part=part, table=index, row=r, col=c))
                    for c in range(width)
                ]
                for r, texts in piece
            ]

    def _row(self, tr: etree._Element, prev: list[str], nested: list[etree._Element]) -> list[str]:
        """One row as grid-slot texts: spans repeated, vMerge continuations copied from above."""
        texts: list[str] = []
        after = 0
        trpr = tr.find(W_TRPR)
        if trpr is not None:
            for prop in trpr:
                if prop.tag == W_GRIDBEFORE:
                    texts.extend("" for _ in range(_int(prop.get(W_VAL))))
                elif prop.tag == W_GRIDAFTER:
                    after = _int(prop.get(W_VAL))
        for tc in _flatten(tr, _CELL):
            span, vmerge, hmerge = 1, None, None
            tcpr = tc.find(W_TCPR)
            if tcpr is not None:
                for prop in tcpr:
                    if prop.tag == W_GRIDSPAN:
                        span = max(1, _int(prop.get(W_VAL), 1))
                    elif prop.tag == W_VMERGE:
                        vmerge = prop.get(W_VAL, "continue")
                    elif prop.tag == W_HMERGE:
                        hmerge = prop.get(W_VAL, "continue")
            col = len(texts)
            if vmerge == "continue" and col < len(prev):
                text = prev[col]
                self._cell_text(tc, nested)  # a continuation cell may still hold a nested table
            elif hmerge == "continue" and texts:
                text = texts[-1]
            else:
                text = self._cell_text(tc, nested)
            texts.extend(text for _ in range(span))
        texts.extend("" for _ in range(after))
        return texts

    def _cell_text(self, tc: etree._Element, nested: list[etree._Element]) -> str:
        if self._complex is not None and tc not in self._complex:
            # Plain runs only: the same text the inline walk would give, without the walk.
            return "\n".join("".join(p.itertext(W_T, with_tail=False)) for p in tc.iter(W_P)).strip("\n")
        lines: list[str] = []
        for el in _flatten(tc, _CELL_BLOCKS):
            if el.tag == W_TBL:
                nested.append(el)
                continue
            acc = _Para()
            self._inline(el, acc, None, None, False)
            label = None
            if len(el) and el[0].tag == W_PPR:
                ppr = el[0]
                num_pr = ppr.find(W_NUMPR)
                style = ppr.find(W_PSTYLE)
                pstyle = style.get(W_VAL) if style is not None else None
                if num_pr is not None or pstyle is not None:
                    label = self._label(_num_pr(num_pr) if num_pr is not None else None, pstyle)
            lines.append(_labelled(label, acc.text()))
            for _, box in acc.boxes:  # text boxes in a cell: appended to the cell's text
                if box.tag == V_TEXTPATH:
                    lines.append(box.get("string", ""))
                    continue
                for bp in _flatten(box, frozenset((W_P,))):
                    inner = _Para()
                    self._inline(bp, inner, None, None, False)
                    lines.append(inner.text())
        return "\n".join(lines).strip("\n")
