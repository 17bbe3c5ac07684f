"""The roster: who the letter asks about, in order.

Rosters come as tables (any number, with or without a header, header names
vary: 身份证号码 / 身份证号 / 公民身份号码 / 证件号码, extra columns such as
性别 or 报考职位) or as plain text lines ("1. 王伟 610102199001011234").
A dropped person is an official error, so every row that carries an ID-like
value becomes a person, and anything odd about it becomes a problem for a
clerk rather than a silent skip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.document import Document, Location, Table
from pipeline.domain.idnumber import normalise_id
from pipeline.domain.letter import Source
from pipeline.domain.names import normalise_name, vocabulary_kind
from pipeline.extraction.text import CJK, compact, fold_digits

HEADER_ID = re.compile(r"身份证|证件号|身份号|公民身份|证号|身份证件")
HEADER_NAME = re.compile(
    r"姓名|名字|人员名称|查询对象$|^对象$|^名称$|^(拟|被)?(录用|聘用|调任|招聘|聘|查询)?(人员|人选|对象)$"
)
# Headers of columns that hold short CJK words but never the person's name.
HEADER_NOT_NAME = re.compile(
    r"性别|民族|政治|面貌|学历|学位|院校|学校|专业|单位|部门|职位|职务|岗位|籍贯|出生|户籍|备注|类别|身份|证件"
)
HEADER_SEQ = re.compile(r"^(序号|编号|序|No\.?|NO\.?)$", re.IGNORECASE)
SUMMARY_ROW = re.compile(
    r"^[\s\u3000]*(合[\s\u3000]*计|共[\s\u3000]*计|总[\s\u3000]*计|小[\s\u3000]*计|注|备[\s\u3000]*注|说[\s\u3000]*明)"
)

# An ID inside free text: 18 characters (single spaces allowed between digits), or an old 15-digit one.
ID_TOKEN = re.compile(
    r"(?<![0-9])(?:[0-9][ \u3000]?){16}[0-9][ \u3000]?[0-9Xx×](?![0-9A-Za-z])|(?<![0-9])[0-9]{15}(?![0-9])"
)
LABELS = re.compile(
    r"(查询对象|人员|对象)?(姓名|名字)[:：]?|(公民)?身份(证件?)?(号码|号)?[:：]?|证件号码?[:：]?|身份证[:：]?|号码[:：]?"
)
# A row that says something instead of naming a person: the contact, the attachment, the closing.
STATEMENT_ROW = re.compile(r"^(联系人|联系电话|联系方式|联络人|经办人|电话|手机|附件|特此|此致|落款)")
SEQ_PREFIX = re.compile(r"^[\s\u3000]*[（(]?([0-9]{1,4})[)）]?[\s\u3000]*[.、．，,)）:：]?")
EXTRA_VALUE = re.compile(
    rf"^(男|女|[{CJK}]{{1,4}}族|\d{{4}}[.\-/年]\d{{1,2}}.*|(大学)?本科|硕士|博士|(硕士|博士)?研究生|大专|中专|高中"
    r"|中共(预备)?党员|共青团员|团员|党员|群众|无党派人士|民主党派)$"
)
# A column value that is an organisation, not a person: 西安市发展改革委, 某某大学 (names are 2-4 characters,
# longer only with the · of a transliterated name).
UNIT_VALUE = re.compile(
    rf"^[{CJK}]{{5,}}$|^[{CJK}]{{2,}}(局|委|厅|院|校|中心|公司|政府|大学|学院|医院|银行)$"
)
ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")
PARENTHETICAL = re.compile(r"[（(][^（()）]*[)）]")
ANY_DIGIT = re.compile(r"[0-9０-９]")
ID_FRAGMENT = re.compile(r"[0-9]{0,17}[0-9Xx×]")
SENTENCE_PUNCT = re.compile(r"[，。；！？、“”《》]")
CODE_WORD = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-/年月]*")
NAME_WORD = re.compile(rf"[{CJK}]{{2,4}}|[{CJK}]{{1,10}}·[{CJK}·]{{1,15}}")
CONFIRM_FROM_PROSE = "该人员从正文语句中识别，请对照原件核对姓名"
# The words of a roster's header line, found even when OCR ran them together (岗位代码姓名性别).
HEADER_WORDS = re.compile(
    r"序号|编号|公民身份号码|身份证号码|身份证号|证件号码|姓名|性别|民族|政治面貌|出生年月|出生日期|籍贯|学历|学位"
    r"|毕业院校|毕业学校|所学专业|专业|拟录用单位|拟聘用单位|拟聘单位|拟调任单位|拟录用职位|拟聘岗位|报考单位|报考职位"
    r"|职位代码|岗位代码|职位|岗位|单位|备注"
)
NAME_CELL = re.compile(rf"[{CJK}][{CJK}·•\s]{{1,19}}")


@dataclass(slots=True)
class RosterEntry:
    name: str
    id_raw: str  # the ID as found (normalised for width/space/x), before checks
    seq: int | None
    name_source: Source | None
    id_source: Source | None
    note: str | None = None
    confirm: str | None = None  # a named person must compare this entry with the original before a reply
    from_number: bool = False  # the ID cell was a spreadsheet number (digits beyond 15 lost)
    block: int = 0  # index of the Document block it came from (keeps tables and text in order)


@dataclass(slots=True)
class Roster:
    entries: list[RosterEntry]
    tables: set[int]  # block indices of tables that held roster rows
    from_text: bool = False
    # Rows of roster tables that are letter text, not people (a contact line ruled into the table):
    # block index -> row indices. The field rules read them as lines.
    statements: dict[int, list[int]] = field(default_factory=dict)


def _int(text: str) -> int | None:
    text = compact(fold_digits(text)).rstrip(".、．")
    return int(text) if text.isdigit() and len(text) <= 5 else None


def find_id(text: str) -> tuple[str, str | None]:
    """The ID in a cell: (normalised, note). Extra words beside the ID are tolerated but noted."""
    folded = fold_digits(text).strip("'‘’`\"“”")
    whole = normalise_id(folded)
    if ID_SHAPE.fullmatch(whole):
        return whole, None
    m = ID_TOKEN.search(folded)
    if m:
        rest = compact(folded[: m.start()] + folded[m.end() :])
        return normalise_id(m.group(0)), (f"身份证号码单元格中另有文字：{rest}" if rest else None)
    return whole, None


def clean_name(text: str) -> str:
    """Name cell -> name: no alignment spaces, no parenthetical remarks, dots unified."""
    text = PARENTHETICAL.sub("", text)
    return normalise_name(text.split("\n")[0] if text.strip() else text)


# --- tables --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Columns:
    name: int | None
    id: int
    seq: int | None
    width: int
    headers: list[str] = field(default_factory=list)


def _header_columns(row: list[str]) -> _Columns | None:
    row = [compact(t) for t in row]  # "姓  名" is still the name header
    id_col = next((i for i, t in enumerate(row) if HEADER_ID.search(t)), None)
    if id_col is None:
        return None
    name_col = next((i for i, t in enumerate(row) if i != id_col and HEADER_NAME.search(t)), None)
    seq_col = next((i for i, t in enumerate(row) if HEADER_SEQ.match(t)), None)
    if name_col is None and seq_col is None:
        return None
    return _Columns(name_col, id_col, seq_col, len(row), headers=row)


def _name_by_content(rows: list[list[str]], columns: _Columns) -> int | None:
    """A header that names no name column (拟录用人员情况, an unusual word): the column whose cells are
    names, nearest the ID column, among those whose header is not 性别, 民族, 政治面貌, 单位 …"""
    body = [r for r in rows if len(r) > columns.id and ID_TOKEN.search(fold_digits(r[columns.id]))]
    if not body:
        return None
    candidates = [
        c for c in range(columns.width)
        if c not in (columns.id, columns.seq)
        and not (c < len(columns.headers) and HEADER_NOT_NAME.search(columns.headers[c]))
    ]  # fmt: skip
    best = None
    for c in sorted(candidates, key=lambda c: abs(c - columns.id)):
        if _vocabulary_column(body, c):
            continue
        names = sum(
            1 for r in body if c < len(r) and NAME_CELL.fullmatch(PARENTHETICAL.sub("", r[c]).strip() or "x")
        )
        if names >= max(1, (len(body) + 1) // 2):
            best = c
            break
    return best


def _vocabulary_column(rows: list[list[str]], col: int) -> bool:
    """A column whose filled cells are mostly a roster column's vocabulary (民族, 性别, 政治面貌, 学历,
    职务): such a column is never the name column, whatever its place or header."""
    cells = [r[col] for r in rows if col < len(r) and compact(r[col])]
    hits = sum(1 for c in cells if vocabulary_kind(c))
    return bool(cells) and hits * 2 >= len(cells)


def _guess_columns(rows: list[list[str]]) -> _Columns | None:
    """No header: the ID column is the one whose cells mostly hold IDs; the name is the nearest
    column to its left holding short CJK text."""
    if not rows:
        return None
    width = max(len(r) for r in rows)
    best, best_hits = None, 0
    for col in range(width):
        hits = sum(1 for r in rows if col < len(r) and ID_TOKEN.search(fold_digits(r[col])))
        if hits > best_hits:
            best, best_hits = col, hits
    if best is None or best_hits < max(1, len(rows) // 2):
        return None
    name_col = None
    for col in [*range(best - 1, -1, -1), *range(best + 1, width)]:
        if _vocabulary_column(rows, col):
            continue  # 汉族, 男, 中共党员 … are a column's vocabulary, never names
        names = sum(
            1 for r in rows if col < len(r) and re.fullmatch(rf"[{CJK}·•\s]{{2,20}}", r[col].strip() or "x")
        )
        if names >= max(1, best_hits // 2):
            name_col = col
            break
    seq_col = next((c for c in range(width) if c not in (best, name_col)
                    and all(_int(r[c]) is not None for r in rows if c < len(r) and r[c].strip())), None)  # fmt: skip
    return _Columns(name_col, best, seq_col, width)


def _rows_text(table: Table) -> list[list[str]]:
    return [[c.text.strip() for c in row] for row in table.rows]


def _continue(previous: RosterEntry, name_text: str, id_text: str, location: Location) -> bool:
    """Join a row fragment (no 序号, at the top of the next page) to the row above when that
    row is visibly incomplete: its ID short of 18 characters (the rest of the digits went to
    the next page), or its name cut (only a name fragment, no ID, follows). Returns True when
    joined. Only across a page break: anywhere else such a row is a person of its own."""
    if previous.id_source is None or previous.id_source.location.page is None or location.page is None:
        return False
    if location.page <= previous.id_source.location.page:
        return False
    prev_id = previous.id_source.text
    digits = compact(id_text)
    if digits and len(previous.id_raw) not in (15, 18) and ID_FRAGMENT.fullmatch(fold_digits(digits)):
        joined, _ = find_id(prev_id + digits)
        if len(joined) in (15, 18):
            previous.id_raw = joined
            if previous.id_source:
                previous.id_source = Source(
                    previous.id_source.location, prev_id + digits, previous.id_source.confidence
                )
            if compact(name_text):
                previous.name = clean_name(
                    (previous.name_source.text if previous.name_source else "") + name_text
                )
            return True
    if not digits and compact(name_text) and previous.name_source and len(previous.id_raw) in (15, 18):
        joined_name = clean_name(previous.name_source.text + name_text)
        if 2 <= len(joined_name) <= 20 and not ANY_DIGIT.search(joined_name):
            previous.name = joined_name
            return True
    return False


def statement_row(row: list[str]) -> bool:
    """Does this table row read as letter text (联系人：…, 附件：…) rather than a person?"""
    first = next((compact(t) for t in row if compact(t)), "")
    return bool(STATEMENT_ROW.match(first))


def _table_entries(
    table: Table,
    block_index: int,
    columns: _Columns | None,
    carried: RosterEntry | None = None,
    statements: list[int] | None = None,
) -> tuple[list[RosterEntry], _Columns | None]:
    rows = _rows_text(table)
    start = 0
    if columns is None or table.width != columns.width:
        columns = None
    for r, row in enumerate(rows[:6]):
        found = _header_columns(row)
        if found:
            columns, start = found, r + 1
            if found.name is None:
                found.name = _name_by_content(rows[start:], found)
            break
    if columns is None:
        columns = _guess_columns(rows)
        if columns is None:
            return [], None
    entries: list[RosterEntry] = []
    for r in range(start, len(rows)):
        row = rows[r]
        if len(row) <= columns.id:
            continue
        id_text = row[columns.id]
        name_text = row[columns.name] if columns.name is not None and columns.name < len(row) else ""
        if HEADER_ID.search(id_text) and _header_columns(row):  # header repeated on a continuation page
            continue
        if not compact(id_text) and not compact(name_text):
            continue
        if name_text and name_text == id_text:  # a merged remark row spanning the table
            continue
        if SUMMARY_ROW.match(name_text) or SUMMARY_ROW.match(row[0]):
            continue
        if statement_row(row):
            if statements is not None:
                statements.append(r)
            continue
        if not ANY_DIGIT.search(id_text) and not name_text:
            continue
        cells = table.rows[r]
        seq_text = row[columns.seq] if columns.seq is not None and columns.seq < len(row) else None
        previous = entries[-1] if entries else carried
        if (
            seq_text is not None
            and not compact(seq_text)
            and previous is not None
            and _continue(previous, name_text, id_text, cells[columns.id].location)
        ):
            continue  # the rest of a row that a page break cut in two
        id_raw, note = find_id(id_text)
        seq = _int(seq_text) if seq_text is not None else None
        entries.append(
            RosterEntry(
                name=clean_name(name_text),
                id_raw=id_raw,
                seq=seq,
                name_source=Source(cells[columns.name].location, name_text, cells[columns.name].confidence)
                if columns.name is not None and columns.name < len(cells)
                else None,
                id_source=Source(cells[columns.id].location, id_text, cells[columns.id].confidence),
                note=note,
                from_number=cells[columns.id].numeric,
                block=block_index,
            )
        )
    return entries, columns


# --- text lines ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TextColumns:
    """What a borderless roster's header line says about the words before each line's ID."""

    name: int  # the name's place among them (序号 not counted)
    words: int  # how many there are
    sex_next: bool  # 性别 follows 姓名: OCR may run "杨伟 女" together as 杨伟女


def _name_from_segment(segment: str, position: _TextColumns | None = None) -> str | None:
    """The name in the text before (or after) an ID on a roster line, or None for prose.

    `position`: where the header line puts the name, when there is one."""
    segment = LABELS.sub(" ", fold_digits(segment))
    segment = SEQ_PREFIX.sub("", segment, count=1)
    segment = re.sub(r"[（(][^（()）]*[)）]", " ", segment)
    segment = segment.strip(" \u3000\t:：,，;；|/（(")
    if not segment or SENTENCE_PUNCT.search(segment):
        return None
    words = [t for t in re.split(r"[\s\u3000]{1,}", segment) if t]
    if position is not None and position.name < len(words):
        word = words[position.name]
        if position.sex_next and len(words) < position.words and len(word) >= 3 and word[-1] in "男女":
            word = word[:-1]  # the sex column run into the name
        if NAME_WORD.fullmatch(word):
            return normalise_name(word)
    # codes and dates (岗位代码 1001, 1990.01) are other columns; a word mixing digits and text is prose
    words = [t for t in words if not CODE_WORD.fullmatch(t)]
    if any(ANY_DIGIT.search(t) for t in words):
        return None
    tokens = [t for t in words if not EXTRA_VALUE.match(t)]
    if not tokens:
        return None
    # "王  伟" (alignment spaces) splits into single characters: join them; real columns are longer.
    if all(len(t) == 1 for t in tokens) and len(tokens) <= 4:
        tokens = ["".join(tokens)]
    name = normalise_name(next((t for t in tokens if not UNIT_VALUE.match(t)), tokens[0]))
    if not re.fullmatch(rf"[{CJK}][{CJK}·]{{0,19}}", name) or len(name) > 20:
        return None
    return name


PROSE_LEAD = re.compile(
    r"^(拟录用|拟聘用|拟调任|拟招聘|录用|聘用|调任|招聘|查询|人员|对象|同志|即|为|是|有|对)+"
)


def _name_from_prose(segment: str) -> str | None:
    """A name just before an ID inside a sentence: "…拟录用王伟（身份证号：…"."""
    segment = LABELS.sub(" ", fold_digits(segment))
    tail = re.split(r"[，。；！？、“”《》,;:：（(）)\s]", segment.strip(" （(:："))[-1]
    tail = PROSE_LEAD.sub("", tail)
    if re.fullmatch(rf"[{CJK}]{{2,4}}|[{CJK}]{{1,10}}·[{CJK}·]{{1,15}}", tail):
        return normalise_name(tail)
    return None


def text_entries(document: Document, *, prose: bool = False) -> list[RosterEntry]:
    """People listed in plain text lines, e.g. "1. 王伟 610102199001011234".

    With prose=True, also people named inside sentences (a last resort when a
    letter has no roster at all); they carry a note asking for a check."""
    entries: list[RosterEntry] = []
    position: _TextColumns | None = None  # from the last header line
    for block_index, block in enumerate(document.blocks):
        if isinstance(block, Table):
            continue
        for line in block.text.split("\n"):
            folded = fold_digits(line)
            matches = list(ID_TOKEN.finditer(folded))
            if not matches:
                header = _text_header(folded)
                if header is not None:
                    position = header
                continue
            bounds = [0] + [m.end() for m in matches]
            for k, m in enumerate(matches):
                before = folded[bounds[k] : m.start()]
                after_end = matches[k + 1].start() if k + 1 < len(matches) else len(folded)
                after = folded[m.end() : after_end]
                name = _name_from_segment(before, position if k == 0 else None)
                if name is None and not compact(LABELS.sub("", SEQ_PREFIX.sub("", before, count=1))):
                    name = _name_from_segment(after)  # ID first, then the name
                note = None
                if name is None and prose:
                    name = _name_from_prose(before)
                    note = CONFIRM_FROM_PROSE
                if name is None:
                    continue
                seq_match = SEQ_PREFIX.match(folded[bounds[k] :]) if k == 0 else None
                seq = int(seq_match.group(1)) if seq_match and seq_match.group(1) else None
                loc: Location = block.location
                entries.append(
                    RosterEntry(
                        name=name,
                        id_raw=normalise_id(m.group(0)),
                        seq=seq,
                        name_source=Source(loc, line.strip(), block.confidence),
                        id_source=Source(loc, line.strip(), block.confidence * (0.6 if note else 1.0)),
                        confirm=note,
                        block=block_index,
                    )
                )
    return entries


def _text_header(line: str) -> _TextColumns | None:
    """A borderless roster's header line ("序号 拟录用单位 岗位代码 姓名 性别 身份证号码"): the place of 姓名
    among the words before the ID column, counted as a data line's words are (序号 is cut off there)."""
    words = HEADER_WORDS.findall(compact(line))
    if "姓名" not in words or not any("身份" in w or "证件" in w for w in words):
        return None
    if len("".join(words)) < len(compact(line)) * 0.8:
        return None  # a sentence that mentions 姓名、身份证号码, not a header
    before_id = words[: next(i for i, w in enumerate(words) if "身份" in w or "证件" in w)]
    if "姓名" not in before_id:
        return None
    columns = [w for w in before_id if w not in ("序号", "编号")]
    at = columns.index("姓名")
    return _TextColumns(at, len(columns), at + 1 < len(columns) and columns[at + 1] == "性别")


def find_roster(document: Document) -> Roster:
    """People from tables and from plain-text roster lines, in document order.

    Text lines count too when tables exist: a roster continued on a page the
    reader saw as text must not lose its people. Prose that merely mentions
    an ID is not a roster line (see _name_from_segment)."""
    entries: list[RosterEntry] = []
    tables: set[int] = set()
    columns: _Columns | None = None
    statements: dict[int, list[int]] = {}
    for block_index, block in enumerate(document.blocks):
        if not isinstance(block, Table):
            continue
        said: list[int] = []
        found, columns_now = _table_entries(
            block, block_index, columns, entries[-1] if entries else None, said
        )
        if found:
            tables.add(block_index)
            entries.extend(found)
            columns = columns_now
            if said:
                statements[block_index] = said
    text = text_entries(document)
    if not entries and not text:
        text = text_entries(document, prose=True)
    merged = sorted(entries + text, key=lambda e: e.block)  # stable: row order kept within a block
    return Roster(merged, tables, from_text=bool(text) and not entries, statements=statements)
