"""What a reply letter (附件3) says, as plain data; rendering lives in pipeline.reply."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipeline.domain.letter import Kind
from pipeline.domain.result import PersonResult

TITLES = {
    Kind.CIVIL_SERVANT: "关于反馈公务员录用、调任人选社会信用记录查询结果的函",
    Kind.PUBLIC_INSTITUTION: "关于反馈事业单位聘用人选社会信用记录查询结果的函",
}
CORRECTION_TITLE = "关于更正社会信用记录查询结果的函"
CONCLUSION = "本查询结果客观反映查询时间点信息主体社会信用记录状况，供依法依规参考使用。"
ATTACHMENT = "附件：社会信用记录查询结果"


def month_day_zh(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def date_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def incoming_sentence(letter_date: dt.date, letter_doc_number: str | None, issue_date: dt.date) -> str:
    """你单位6月4日来函（陕人社函〔2021〕88号）收悉。… — without the parenthesis when there is no 文号.

    The letter's year is printed when it is not the reply's year (你单位2025年12月28日来函):
    a reply dated January must not seem to answer a December letter of its own year.
    """
    ref = f"（{letter_doc_number}）" if letter_doc_number else ""
    when = month_day_zh(letter_date) if letter_date.year == issue_date.year else date_zh(letter_date)
    return f"你单位{when}来函{ref}收悉。我们对来函中相关人员的社会信用记录进行了查询，查询结果附后。"


@dataclass(slots=True)
class ReplyContext:
    """Everything a reply prints. Built by the process step, rendered by pipeline.reply."""

    kind: Kind
    reply_doc_number: str  # e.g. 陕信用函〔2026〕15号
    addressee: str  # the sending unit, printed as "<unit>："
    letter_date: dt.date
    letter_doc_number: str | None
    results: list[PersonResult]
    office_name: str
    issue_date: dt.date
    contact_name: str = ""
    contact_phone: str = ""
    lists_consulted: list[str] = field(default_factory=list)
    masthead: str = ""  # the red 发文机关标志 printed at the top (信函格式); empty: none (letterhead paper)
    checked_at: dt.datetime | None = None  # the moment the results hold for (查询时间点)
    lists_as_of: dt.datetime | None = None  # the oldest import among the list snapshots consulted
    corrects: str | None = None  # 更正函: the 文号 of the reply this one corrects

    @property
    def title_text(self) -> str:
        return CORRECTION_TITLE if self.corrects else TITLES[self.kind]

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def incoming(self) -> str:
        said = incoming_sentence(self.letter_date, self.letter_doc_number, self.issue_date)
        if self.corrects:  # the same query, answered again: the earlier reply was wrong
            head = said.split("。", 1)[0]
            return f"{head}。我单位此前出具的复函（{self.corrects}）经核对有误，现予更正，查询结果以本函附件为准。"
        return said

    @property
    def contact_line(self) -> str:
        parts = []
        if self.contact_name:
            parts.append(f"联系人：{self.contact_name}")
        if self.contact_phone:
            parts.append(f"电话：{self.contact_phone}")
        return "，".join(parts)

    @property
    def query_time(self) -> str:
        """查询时间点：… — the reply's conclusion says its result reflects that moment, so it names it,
        with how current the lists were."""
        if self.checked_at is None:
            return ""
        at = self.checked_at
        line = f"查询时间点：{date_zh(at.date())}{at.hour}时{at.minute:02d}分"
        if self.lists_as_of is not None:
            line += f"（名单数据更新至{date_zh(self.lists_as_of.date())}）"
        return line
