"""What a test letter says, independent of the file format it is written in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from stdnum.cn import ric

CN_DIGITS = "〇一二三四五六七八九"


def make_id(region: str = "610102", born: str = "19900101", seq: str = "123") -> str:
    """A valid 18-digit ID with the right check digit."""
    body = region + born + seq
    return body + ric.calc_check_digit(body + "0")


def bad_check_digit(id_number: str) -> str:
    last = id_number[-1]
    return id_number[:-1] + ("0" if last != "0" else "1")


DEFAULT_PEOPLE = [
    ("王伟", make_id("610102", "19900101", "123")),
    ("李娜", make_id("610113", "19951231", "246")),
    ("阿卜杜拉·麦麦提", make_id("650103", "19860624", "845")),
]


def cn_date(d: dt.date) -> str:
    """二〇二一年六月四日 (as on many printed letters)."""

    def num(n: int) -> str:
        if n < 10:
            return CN_DIGITS[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")

    year = "".join(CN_DIGITS[int(c)] for c in str(d.year))
    return f"{year}年{num(d.month)}月{num(d.day)}日"


@dataclass
class LetterSpec:
    """Every knob a real letter turns. Defaults give a clean civil-servant letter."""

    kind: Literal["civil_servant", "public_institution"] = "civil_servant"
    doc_number: str | None = "陕人社函〔2021〕88号"  # printed as is (any bracket, spaces, full width)
    letterhead: str | None = None  # e.g. "陕西省人力资源和社会保障厅文件" above the 文号
    signer_line: str | None = None  # e.g. "签发人：张三" printed on the 文号 line (上行文)
    title: str | None = None  # default from kind
    addressee: str = "省信息中心（省信用办）"
    body: str | None = None  # default from kind; may cite other documents
    extra_body: list[str] = field(default_factory=list)  # more paragraphs (dates, hotlines, citations)
    stated_count: int | None = None  # prints 本次共需查询N人。
    contact_line: str | None = "联系人：张建国，电话：029-63918210"
    unit: str = "陕西省人力资源和社会保障厅"
    seal: str | None = None  # e.g. "（加盖公章）" on its own line or appended
    seal_inline: bool = False
    date: dt.date = dt.date(2021, 6, 4)
    date_style: Literal["arabic", "chinese", "spaced"] = "arabic"
    people: list[tuple[str, str]] = field(default_factory=lambda: list(DEFAULT_PEOPLE))
    roster_as: Literal["table", "text"] = "table"
    roster_header: tuple[str, ...] = ("序号", "姓名", "身份证号码")
    header_row: bool = True  # False: the roster's table has no header row (columns told by content)
    extra_columns: dict[str, list[str]] = field(default_factory=dict)  # header -> values
    roster_split: int | None = None  # split the roster into two tables after N rows
    seq_numbers: list[int] | None = None  # printed 序号 (default 1..n)
    name_spacing: bool = False  # 王  伟 alignment spaces for two-character names
    header_text: str | None = None  # page header text
    footer_text: str | None = None  # page footer text, e.g. "— 1 —"
    attachment_line: str | None = "附件：查询对象名单（姓名、身份证号码）"
    cc_line: str | None = None  # 抄送：...

    # -- derived text ---------------------------------------------------------

    def title_text(self) -> str:
        if self.title:
            return self.title
        if self.kind == "civil_servant":
            return "关于申请查询公务员录用、调任人选社会信用记录的函"
        return "关于申请查询事业单位聘用人选社会信用记录的函"

    def body_text(self) -> str:
        if self.body:
            return self.body
        if self.kind == "civil_servant":
            return (
                "按照《公务员法》以及《公务员录用规定》《公务员调任规定》（中组发〔2019〕21号）要求，"
                "现商请你办协助查询录用、调任人选（名单附后）的社会信用记录。"
            )
        return "为做好事业单位招聘工作，按照党中央、国务院有关要求，现商请你办协助查询录用人选（名单附后）的社会信用记录。"

    def date_text(self) -> str:
        d = self.date
        if self.date_style == "chinese":
            return cn_date(d)
        if self.date_style == "spaced":
            return f"{d.year} 年 {d.month} 月 {d.day} 日"
        return f"{d.year}年{d.month}月{d.day}日"

    def display_name(self, name: str) -> str:
        if self.name_spacing and len(name) == 2:
            return name[0] + "  " + name[1]
        return name

    def seqs(self) -> list[int]:
        return self.seq_numbers or list(range(1, len(self.people) + 1))

    def roster_rows(self) -> list[list[str]]:
        """Header row plus one row per person, columns in `roster_header` order + extras."""
        placed = [c for c in self.roster_header if c in self.extra_columns]  # an extra column put in order
        header = list(self.roster_header) + [c for c in self.extra_columns if c not in placed]
        rows = [header]
        for i, ((name, id_number), seq) in enumerate(zip(self.people, self.seqs(), strict=False)):
            row = []
            for col in self.roster_header:
                key = "".join(col.split())
                if col in self.extra_columns:
                    row.append(self.extra_columns[col][i])
                elif "序号" in key:
                    row.append(str(seq))
                elif "姓名" in key:
                    row.append(self.display_name(name))
                else:
                    row.append(id_number)
            row.extend(values[i] for c, values in self.extra_columns.items() if c not in placed)
            rows.append(row)
        return rows if self.header_row else rows[1:]

    def front_matter(self) -> list[tuple[str, str]]:
        """(role, text) paragraphs before the roster; role drives layout in builders."""
        out: list[tuple[str, str]] = []
        if self.letterhead:
            out.append(("letterhead", self.letterhead))
        if self.doc_number is not None or self.signer_line:
            line = self.doc_number or ""
            if self.signer_line:
                line = f"{line}　　　　{self.signer_line}" if line else self.signer_line
            out.append(("docnum", line))
        out.append(("title", self.title_text()))
        out.append(("addressee", f"{self.addressee}："))
        out.append(("body", self.body_text()))
        out.extend(("body", t) for t in self.extra_body)
        if self.stated_count is not None:
            out.append(("body", f"本次共需查询{self.stated_count}人。"))
        if self.contact_line:
            out.append(("body", self.contact_line))
        if self.attachment_line:
            out.append(("body", self.attachment_line))
        if self.seal and self.seal_inline:
            out.append(("signature", f"{self.unit}{self.seal}"))
        else:
            out.append(("signature", self.unit))
            if self.seal:
                out.append(("signature", self.seal))
        out.append(("signature", self.date_text()))
        if self.cc_line:
            out.append(("body", self.cc_line))
        return out

    def roster_lines(self) -> list[str]:
        """The roster as plain text lines (roster_as == "text")."""
        return ["　".join(row) for row in self.roster_rows()]
