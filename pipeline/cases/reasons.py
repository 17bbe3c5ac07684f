"""Every reason a clerk must look at a letter before its reply may go — pure, typed, in one place."""

from __future__ import annotations

from pipeline.domain import comparison
from pipeline.domain.history import CaseHistory
from pipeline.domain.letter import Kind, Letter
from pipeline.domain.reasons import Reason, ReasonCode, code_of
from pipeline.domain.result import CheckOutcome, Verdict

SECOND_REVIEW = "查询结果为失信联合惩戒对象，公务员录用、调任查询须二次复审、复核、复查"
HOLIDAYS_MISSING = "节假日安排未录入，请管理员更新 holidays.toml"
NAME_MISMATCH = "身份证号码在失信名单中，但名单登记的姓名不同，需人工核实"
POSSIBLE = "与失信名单中一条脱敏身份证号码记录的姓名和可见号码相符，需人工核实"
CORRECTED_HIT = (
    "本案曾查得失信联合惩戒对象（或可能匹配、姓名不同）或曾为公务员录用、调任查询，"
    "更正了姓名、身份证号码、查询类别、名单行或核查结论，须由更正人以外的复核人员对照原件二次复审"
)


def _who(seq: int, name: str) -> str:
    return f"第{seq}人（{name}）"


def review_reasons(
    letter: Letter,
    outcome: CheckOutcome | None,
    *,
    unknown_holiday_year: int | None = None,
    scan_needs_person: bool = True,
    history: CaseHistory | None = None,
) -> list[Reason]:
    """Empty means the reply may go out now.

    `unknown_holiday_year`: the reply's issue year when no holiday arrangement
    is on file (a reply could be dated on a holiday and its deadline miscounted).
    `history`: what the case has been (pipeline.domain.history); the second review follows from it
    as well as from the check now, so a correction cannot remove the need for a second person.
    """
    reasons: list[Reason] = []
    for problem in letter.problems:
        if not any(c.covers(problem) for c in letter.confirmed):
            reasons.append(Reason(code_of(problem), str(problem)))
    if unknown_holiday_year is not None:
        reasons.append(Reason(ReasonCode.HOLIDAYS_MISSING, f"{HOLIDAYS_MISSING}（{unknown_holiday_year}年）"))
    for seq, person in enumerate(letter.people, 1):
        who = _who(seq, person.name)
        if person.not_checked_by is None:
            reasons.extend(
                Reason(code_of(p, ReasonCode.ID_INVALID), f"{who}：{p}", seq) for p in person.problems
            )
        reasons.extend(Reason(ReasonCode.PERSON_CONFIRM, f"{who}：{c}", seq) for c in person.confirm)
    left = comparison.open_items(letter) if scan_needs_person else []
    if left:
        reasons.append(Reason(ReasonCode.SCAN_CONFIRM, comparison.open_text(left)))
    if outcome is not None:
        reasons.extend(Reason(ReasonCode.LISTS, p) for p in outcome.problems)
        for r in outcome.results:
            who = _who(r.seq, r.name)
            if r.verdict == Verdict.NAME_MISMATCH:
                reasons.append(Reason(ReasonCode.NAME_MISMATCH, f"{who}：{NAME_MISMATCH}", r.seq))
            elif r.verdict == Verdict.POSSIBLE:
                reasons.append(Reason(ReasonCode.POSSIBLE, f"{who}：{POSSIBLE}", r.seq))
            elif r.verdict == Verdict.LISTED and letter.kind == Kind.CIVIL_SERVANT:
                reasons.append(Reason(ReasonCode.SECOND_REVIEW, f"{who}：{SECOND_REVIEW}", r.seq))
    if history is not None and history.observe(letter, outcome).needs_second_person(letter):
        changed = "；".join(f.describe_zh() for f in history.open_fixes(letter) if f.what.sensitive)
        reasons.append(Reason(ReasonCode.CORRECTED_HIT, f"{CORRECTED_HIT}（{changed}）"[:1500]))
    return list(dict.fromkeys(reasons))
