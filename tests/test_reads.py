"""Who may read what is one table in the case core (pipeline.cases.reads): every console page, its
navigation link and the parts of a page for overseers follow it, for every role."""

from __future__ import annotations

import pytest

from pipeline.cases.reads import READ_ROLES, Read, may_read
from tests.review_office import PEOPLE, account, drop
from tests.service_letters import spec_for
from tests.test_web_pages import Desk

PAGES = {
    Read.QUEUE: "/",
    Read.CASE: "/cases/{case}",
    Read.OBJECTIONS: "/objections/",
    Read.SPOT_CHECKS: "/spotchecks/",
    Read.REPORTS: "/reports/",
    Read.AUDIT_LOG: "/audit/",
    Read.ACCOUNTS: "/admin/accounts",
}
NAV = {
    Read.OBJECTIONS: "异议办理",
    Read.SPOT_CHECKS: "抽查抽检",
    Read.AUDIT_LOG: "审计日志",
    Read.ACCOUNTS: "账号管理",
}


def test_every_read_has_a_rule_and_administrators_never_read_a_case() -> None:
    assert set(READ_ROLES) == set(Read)
    assert not may_read(account("管理员甲"), Read.CASE)  # accounts and lists, not letters
    assert not may_read(account("王芳"), Read.WORKLOAD) and may_read(account("孙审计"), Read.WORKLOAD)


@pytest.mark.slow
def test_each_page_and_its_link_answer_as_the_core_does_for_every_role(web) -> None:  # type: ignore[no-untyped-def]
    _, intake, app = web
    case = drop(intake, "letter.docx", spec_for(801))
    for login, (name, _roles) in PEOPLE.items():
        desk, who = Desk(app, login), account(name)
        nav = desk.get("/").get_data(as_text=True) if may_read(who, Read.QUEUE) else ""
        for what, path in PAGES.items():
            status = desk.get(path.format(case=case)).status_code
            assert status == (200 if may_read(who, what) else 403), (login, what, status)
            if what in NAV and nav:
                assert (NAV[what] in nav) == may_read(who, what), (login, what)
        spot = desk.get("/spotchecks/").get_data(as_text=True) if may_read(who, Read.SPOT_CHECKS) else ""
        assert ("抽样密钥：<code>" in spot) == may_read(who, Read.SPOT_CHECK_AUDIT), login
        report = desk.get("/reports/").get_data(as_text=True)
        assert ("经办工作量" in report) == may_read(who, Read.WORKLOAD), login
