"""退回 / 转办: a clerk decides a letter is not this office's; the letter names where it belongs."""

from __future__ import annotations

import docx
import pytest

from pipeline.cases import holds
from pipeline.cases.routing import route
from pipeline.cli import main
from pipeline.errors import InvalidRequest, NotAllowed
from pipeline.storage import audit
from pipeline.storage.models import Case
from tests.builders.spec import bad_check_digit
from tests.review_office import account, as_user, drop, state
from tests.service_letters import spec_for


def _waiting(service, n: int) -> int:  # type: ignore[no-untyped-def]
    spec = spec_for(n)
    spec.people[0] = (spec.people[0][0], bad_check_digit(spec.people[0][1]))
    return drop(service, f"w{n}.docx", spec)


def test_a_letter_returned_names_where_it_belongs_and_ends_answered(office) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    case_id = _waiting(service, 801)
    with pytest.raises(NotAllowed):
        route(ctx, case_id, account("周复核"), action="return", target="西安市信用办", reason="x")
    with pytest.raises(InvalidRequest):
        route(ctx, case_id, account("王芳"), action="return", target=" ", reason="市属事业单位")
    holds.hold(ctx, case_id, account("赵处长"))
    with pytest.raises(InvalidRequest, match="held by"):  # someone else is working on it
        route(ctx, case_id, account("王芳"), action="return", target="西安市信用办", reason="市属事业单位")
    holds.release_holds(ctx, account("赵处长"))
    number = route(ctx, case_id, account("王芳"), action="return", target="西安市社会信用体系建设牵头部门",
                   reason="来函单位为市属事业单位")  # fmt: skip
    assert state(ctx, case_id) == "replied"
    with ctx.db.sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.reply_doc_number == number
        (event,) = [
            e for e in audit.events_for(s, case_id) if e.reason.startswith("退回") and e.to_state == "replied"
        ]
    assert event.actor == "王芳（wangfang）" and "西安市社会信用体系建设牵头部门" in event.reason
    letter = docx.Document(str(ctx.settings.path(ctx.settings.outbox) / case.outputs["docx"]))
    text = "\n".join(p.text for p in letter.paragraphs)
    assert (
        "关于退回社会信用记录" in text
        and "请向西安市社会信用体系建设牵头部门申请查询" in text
        and number in text
    )
    rows = letter.tables[-1].rows
    assert len(rows) == 1 + len(spec_for(801).people) and "请向西安市" in rows[1].cells[3].text


def test_a_letter_transferred_from_the_command_line(office, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    ctx, service = office
    case_id = _waiting(service, 802)
    argv = ["review", "route", str(case_id), "--action", "transfer", "--to", "宝鸡市委组织部",
            "--reason", "市级公务员查询须经市级公务员主管部门汇总", *as_user("王芳")]  # fmt: skip
    assert main(argv) == 0 and "已生成转办函" in capsys.readouterr().out
    assert state(ctx, case_id) == "replied"
    assert main(argv) == 2  # answered: nothing left to route
