"""Every action a person takes on a case, from every edge, for every role: the console's button, the
console's route and the CLI's command give the case core's one answer (pipeline.cases.actions).

For each action the office builds a case where the action can be taken. Every role is asked: the
core's `allowed_actions` says yes or no, the case page shows the action's form exactly when it
says yes, and both the console route and the CLI command are refused in the same way (a role the
action needs: 403 / exit 12) when it says no. The roles it allows then take the action, once
through the console and once through the CLI, each on a case of its own. Last, every action is
asked of a case in a state it does not apply to, and both edges refuse it (400 / exit 2).

The letters are PDFs: the case page shows a PDF as it is, where a .docx would first be converted
by LibreOffice (a second each, 35 times here). The rules do not depend on the letter's format, and
the conversion has its own tests (test_web_pages, test_legacy_word).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.cases import review
from pipeline.cases.actions import RULES, Action, allowed_actions, facts_of
from pipeline.cli import main
from pipeline.storage.models import Case
from tests.review_office import PEOPLE, account, as_user, drop
from tests.service_letters import spec_for
from tests.test_web_pages import Desk

pytestmark = pytest.mark.slow

# One person per role (李科长 holds two roles; the two-person rules have their own tests).
ROLES = {"clerk": "王芳", "reviewer": "周复核", "auditor": "孙审计", "admin": "管理员甲"}
OK, ROLE, REFUSED = "ok", "role", "refused"  # taken; refused for the role; refused for the case


class Office:
    """Cases made to order, and each edge's way of asking for an action."""

    def __init__(self, ctx, intake, app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        self.ctx, self.intake, self.app, self.tmp = ctx, intake, app, tmp_path
        self.n = 600
        self.desks: dict[str, Desk] = {}
        self._letter: int | None = None  # a waiting letter a loose roster may be attached to

    def _next(self) -> int:
        self.n += 1
        return self.n

    def waiting(self) -> int:
        """Waits for a clerk: the letter says 共4人 but lists 3 (a confirmation settles it)."""
        n = self._next()
        spec = dataclasses.replace(spec_for(n), stated_count=4, doc_number=None)
        return drop(self.intake, f"waiting-{n}.pdf", spec)

    def ready(self) -> int:
        """Nothing left but a person's release of the previewed reply."""
        case_id = self.waiting()
        review.confirm(self.ctx, case_id, ["count_mismatch"], account("李科长"))
        return case_id

    def claimed(self) -> int:
        """Waiting, and claimed by 赵处长, a clerk none of ROLES is: a reviewer may free it."""
        from pipeline.cases import holds

        case_id = self.waiting()
        holds.claim(self.ctx, case_id, account("赵处长"))
        return case_id

    def loose(self) -> int:
        """A roster that came without its letter: failed, to be attached, reprocessed or closed."""
        from tests.builders.bundle_builder import roster_xlsx

        n = self._next()
        path = roster_xlsx(spec_for(n).people, self.intake.folders.inbox / f"名单-{n}.xlsx")
        case_id = self.intake.handle_file(path)
        assert case_id is not None
        return case_id

    def duplicate(self) -> int:
        """The same bytes again (a builder's file carries its time: copy it, never build it twice)."""
        from tests.service_letters import write_letter

        n = self._next()
        first = write_letter(self.tmp / f"first-{n}.pdf", spec_for(n))
        for name in (f"first-{n}.pdf", f"again-{n}.pdf"):
            case_id = self.intake.handle_file(shutil.copyfile(first, self.intake.folders.inbox / name))
        assert case_id is not None
        return case_id

    def drawn(self) -> int:
        """An automatic reply drawn for a spot check."""
        self.ctx.settings.spot_check_share = 1.0
        try:
            return drop(self.intake, f"drawn-{self._next()}.pdf", spec_for(self.n))
        finally:
            self.ctx.settings.spot_check_share = 0.0

    def replied(self) -> int:
        return drop(self.intake, f"replied-{self._next()}.pdf", spec_for(self.n))

    def letter(self) -> int:
        """A waiting letter to attach a roster to; a new one once an attach has taken it."""
        if self._letter is None or state_of(self, self._letter) != "waiting_review":
            self._letter = self.waiting()
        return self._letter

    def desk(self, name: str) -> Desk:
        login = next(login for login, (who, _) in PEOPLE.items() if who == name)
        if login not in self.desks:
            self.desks[login] = Desk(self.app, login)
        return self.desks[login]


def _tag(office: Office, case_id: int) -> str:
    try:
        return review.reply_tag(office.ctx, case_id)
    except Exception:
        return "0" * 32  # no preview to have seen: the edge still asks


def _next_workday(office: Office) -> dt.date:
    return office.ctx.calendar.next_workday(dt.date.today() + dt.timedelta(days=1))


# How each edge asks for each action: (console: method, path, form), (CLI arguments).
def console_request(office: Office, action: Action, case_id: int) -> tuple[str, str, dict]:
    letter = office.letter() if action is Action.ATTACH else None
    return {
        Action.CORRECT: ("post", "correct", {"addressee": "陕西省信用办", "was_addressee": ""}),
        Action.CONFIRM: ("post", "confirm", {"code": "count_mismatch"}),
        Action.PREVIEW: ("get", "preview", {}),
        Action.RELEASE: ("post", "approve", {"seen": _tag(office, case_id)}),
        Action.ROUTE: ("post", "route", {"action": "return", "target": "西安市信用办", "reason": "市属单位"}),
        Action.DELAY: (
            "post",
            "delay",
            {"until": _next_workday(office).isoformat(), "reason": "来函单位同意"},
        ),
        Action.CLOSE: ("post", "close", {"reason": "误放入的文件"}),
        Action.REPROCESS: ("post", "reprocess", {}),
        Action.ATTACH: ("post", "attach", {"letter": str(letter)}),
        Action.ANSWER_AGAIN: ("post", "again", {"reason": "来函单位称未收到复函"}),
        Action.SPOT_CHECK: ("post", "spot", {"result": "agreed"}),
        Action.CLAIM: ("post", "claim", {}),
        Action.RELEASE_CLAIM: ("post", "unclaim", {}),
    }[action]


def cli_arguments(office: Office, action: Action, case_id: int) -> list[str]:
    n = str(case_id)
    return {
        Action.CORRECT: ["review", "correct", n, "--field", "addressee=陕西省信用办"],
        Action.CONFIRM: ["review", "confirm", n, "count_mismatch"],
        Action.PREVIEW: ["review", "preview", n, "--out", str(office.tmp / f"预览-{n}.pdf")],
        Action.RELEASE: ["review", "approve", n, "--seen", _tag(office, case_id)],
        Action.ROUTE: [
            "review",
            "route",
            n,
            "--action",
            "return",
            "--to",
            "西安市信用办",
            "--reason",
            "市属单位",
        ],
        Action.DELAY: [
            "cases",
            "delay",
            n,
            "--until",
            _next_workday(office).isoformat(),
            "--reason",
            "来函单位同意",
        ],
        Action.CLOSE: ["cases", "close", n, "--reason", "误放入的文件"],
        Action.REPROCESS: ["cases", "reprocess", n],
        Action.ATTACH: ["cases", "attach", n, "--to", str(office.letter())],
        Action.ANSWER_AGAIN: ["cases", "again", n, "--reason", "来函单位称未收到复函"],
        Action.SPOT_CHECK: ["spotchecks", "record", n, "agreed"],
        Action.CLAIM: ["cases", "claim", n],
        Action.RELEASE_CLAIM: ["cases", "unclaim", n],
    }[action]


def by_console(office: Office, name: str, action: Action, case_id: int) -> str:
    method, route, form = console_request(office, action, case_id)
    desk = office.desk(name)
    path = f"/spotchecks/{case_id}" if route == "spot" else f"/cases/{case_id}/{route}"
    answer = desk.get(path) if method == "get" else desk.post(path, **form)
    outcome = {200: OK, 302: OK, 403: ROLE, 400: REFUSED}.get(answer.status_code)
    assert outcome is not None, (action, name, answer.status_code, answer.get_data(as_text=True)[:300])
    if outcome == OK and answer.status_code == 302:  # a flash of a refusal would say 错误
        page = desk.get(answer.headers["Location"]).get_data(as_text=True)
        assert "flash error" not in page, (action, name)
    return outcome


def by_cli(
    office: Office, name: str, action: Action, case_id: int, capsys: pytest.CaptureFixture[str]
) -> str:
    code = main([*cli_arguments(office, action, case_id), *as_user(name)])
    said = capsys.readouterr()
    outcome = {0: OK, 10: OK, 12: ROLE, 2: REFUSED}.get(int(code))
    assert outcome is not None, (action, name, code, said.err)
    return outcome


def offered(office: Office, name: str, case_id: int) -> set[Action]:
    """The actions whose form (or link) the case page shows `name`."""
    page = office.desk(name).get(f"/cases/{case_id}").get_data(as_text=True)
    routes = set(re.findall(rf'/cases/{case_id}/(\w+)"', page))
    if "preview" in routes:  # the release button is on the preview, beside the reply it sends
        preview = office.desk(name).get(f"/cases/{case_id}/preview").get_data(as_text=True)
        routes |= set(re.findall(rf'/cases/{case_id}/(approve)"', preview))
    routes |= {"spot"} if f'/spotchecks/{case_id}"' in page else set()
    found = set()
    for action in Action:
        _, route, _ = (
            console_request(office, action, case_id) if action is not Action.ATTACH else ("", "attach", {})
        )
        if route in routes:
            found.add(action)
    return found


MAKES: dict[Action, str] = {
    Action.CORRECT: "waiting",
    Action.CONFIRM: "waiting",
    Action.PREVIEW: "ready",
    Action.RELEASE: "ready",
    Action.ROUTE: "waiting",
    Action.DELAY: "waiting",
    Action.CLOSE: "duplicate",
    Action.REPROCESS: "loose",
    Action.ATTACH: "loose",
    Action.ANSWER_AGAIN: "duplicate",
    Action.SPOT_CHECK: "drawn",
    Action.CLAIM: "waiting",
    Action.RELEASE_CLAIM: "claimed",
}


def state_of(office: Office, case_id: int) -> str:
    with office.ctx.db.sessions() as s:
        return s.get(Case, case_id).state  # type: ignore[union-attr]


@pytest.fixture
def desk_office(web, tmp_path: Path) -> Office:  # type: ignore[no-untyped-def]
    ctx, intake, app = web
    ctx.settings.spot_check_share = 0.0
    return Office(ctx, intake, app, tmp_path)


@pytest.mark.parametrize("action", list(Action))
def test_every_edge_gives_the_core_answer_for_every_role(
    desk_office: Office, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    office = desk_office
    make: Callable[[], int] = getattr(office, MAKES[action])
    case_id = make()
    for role, name in ROLES.items():
        with office.ctx.db.sessions() as s:
            allowed = action in allowed_actions(facts_of(s, case_id), account(name))
        assert allowed == any(r.value == role for r in RULES[action].roles), (action, role)
        assert (action in offered(office, name, case_id)) == allowed, (action, role, "button")
        if allowed:
            continue
        before = state_of(office, case_id)
        assert by_console(office, name, action, case_id) == ROLE, (action, role, "console")
        assert by_cli(office, name, action, case_id, capsys) == ROLE, (action, role, "cli")
        assert state_of(office, case_id) == before
    for role, name in ROLES.items():
        if not any(r.value == role for r in RULES[action].roles):
            continue
        for edge in ("console", "cli"):
            # A look changes nothing: the same case serves; any other action needs a case of its own.
            fresh = case_id if action is Action.PREVIEW else make()
            got = (
                by_console(office, name, action, fresh)
                if edge == "console"
                else by_cli(office, name, action, fresh, capsys)
            )
            assert got == OK, (action, role, edge)


@pytest.mark.parametrize("action", list(Action))
def test_every_edge_refuses_an_action_the_case_is_not_in_a_state_for(
    desk_office: Office, action: Action, capsys: pytest.CaptureFixture[str]
) -> None:
    """A replied case not drawn for a spot check: no action applies to it."""
    office = desk_office
    case_id = office.replied()
    name = next(ROLES[r.value] for r in RULES[action].roles)
    with office.ctx.db.sessions() as s:
        assert action not in allowed_actions(facts_of(s, case_id), account(name))
    assert action not in offered(office, name, case_id)
    assert by_console(office, name, action, case_id) == REFUSED
    assert by_cli(office, name, action, case_id, capsys) == REFUSED
    assert state_of(office, case_id) == "replied"
