"""`letters review correct --field K=V`: the CLI's own syntax for corrections, parsed into the case
core's typed values (pipeline.cases.corrections). Only this edge knows the syntax; the console
builds the same values from its form."""

from __future__ import annotations

from pipeline.cases.corrections import (
    AddRow,
    Compared,
    Correction,
    DeleteRow,
    FieldFix,
    LetterField,
    PersonField,
    PersonFix,
    VerdictDecision,
)
from pipeline.domain.result import Verdict
from pipeline.errors import InvalidRequest

ADD, DELETE, RESULT = "add", "delete", "result"  # add=姓名,身份证号码  delete=N  N.result=…
RESULTS = {"clear": Verdict.CLEAR, "listed": Verdict.LISTED, "not_checked": Verdict.NOT_CHECKED}
FIELD_HELP = (
    "可更正：unit=来函单位、doc_number=来函文号、date=2026-06-04、kind=civil_servant|public_institution、"
    "addressee=主送单位、N.name=姓名、N.id_number=身份证号码、add=姓名,身份证号码（增加一行）、delete=N（删除第N行）、"
    "N.result=clear|listed（人工核实结论：clear=不属于、listed=属于失信联合惩戒对象，"
    "仅限核查结论为“可能匹配”或“号码在名单中但姓名不同”的人员）、"
    "N.result=not_checked（身份证号码有误且无法更正：复函中该人写明“身份证号码有误，未予查询”）（N为序号）"
)


def parse_field(item: str) -> Correction:
    """One `--field` value as the correction it names; a usage error in Chinese otherwise."""
    key, sep, value = item.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key:
        raise InvalidRequest(f"bad field {item!r}", f"更正内容格式应为 字段=值：{item}。{FIELD_HELP}")
    if key == DELETE:
        if not value.isdigit():
            raise InvalidRequest("bad delete", f"delete 后应写要删除的序号，例如 delete=3：{item}")
        return DeleteRow(int(value))
    if key == ADD:
        name, comma, number = value.replace("，", ",").rpartition(",")  # the number has no comma; a name may
        if not comma or (not name.strip() and not number.strip()):
            raise InvalidRequest("bad add", f"增加人员应写作 add=姓名,身份证号码：{value}")
        return AddRow(name.strip(), number.strip())
    if key in LetterField.__members__.values():
        return FieldFix(LetterField(key), value)
    seq, _, attr = key.partition(".")
    if not seq.isdigit() or int(seq) < 1:
        raise InvalidRequest(f"unknown field {key!r}", f"无法更正“{key}”。{FIELD_HELP}")
    if attr == RESULT:
        if value not in RESULTS:
            raise InvalidRequest(
                "bad result",
                f"第{seq}人的结论只能是 clear（不属于失信联合惩戒对象）、listed（属于失信联合惩戒对象）"
                f"或 not_checked（身份证号码有误，未予查询）：{value}",
            )
        return VerdictDecision(int(seq), RESULTS[value])
    if attr in PersonField.__members__.values():
        return PersonFix(int(seq), PersonField(attr), value)
    raise InvalidRequest(f"unknown field {key!r}", f"无法更正“{key}”。{FIELD_HELP}")


def parse_fields(items: list[str]) -> list[Correction]:
    if not items:
        raise InvalidRequest("no fields", f"请写明更正内容。{FIELD_HELP}")
    return [parse_field(item) for item in items]


def parse_compared(items: list[str]) -> list[Correction]:
    """`letters review compare N 1 2 unit`: rows by their 序号, header fields by name."""
    return [Compared.named(item) for item in items]
