"""The console's administrator, auditor and failed-file pages through Flask's client (roles, CSRF,
audit), and the sign-in limit per address."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from pipeline.storage import audit
from pipeline.storage.models import Case
from pipeline.web.throttle import Throttle
from tests.review_office import PASSWORD, drop


def write_unreadable(path, n: int):  # type: ignore[no-untyped-def]
    """A whole file of a kind no reader takes (an old Word .doc), distinct bytes for each n."""
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + str(n).encode() * 100)
    return path


class Desk:
    """One browser-less session: signs in, keeps its CSRF token, posts forms."""

    def __init__(self, app, login: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
        self.client = app.test_client()
        page = self.client.get("/login").get_data(as_text=True)
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]  # type: ignore[index]
        done = self.post("/login", login=login, password=password)
        assert done.status_code == 302, done.get_data(as_text=True)
        page = self.client.get("/").get_data(as_text=True)  # a signed-in session has a token of its own
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]  # type: ignore[index]

    def get(self, path: str, **query: str):  # type: ignore[no-untyped-def]
        return self.client.get(path, query_string=query)

    def post(self, path: str, **form: str | list[str]):  # type: ignore[no-untyped-def]
        return self.client.post(path, data={"csrf_token": self.token, **form})


def test_accounts_are_managed_by_an_administrator_only(web) -> None:  # type: ignore[no-untyped-def]
    ctx, _, app = web
    clerk = Desk(app, "wangfang")
    assert clerk.get("/admin/accounts").status_code == 403
    assert "账号管理" not in clerk.get("/").get_data(as_text=True)  # not offered either
    admin = Desk(app, "admin")
    page = admin.get("/admin/accounts").get_data(as_text=True)
    assert "wangfang" in page and "周复核" in page and "test-password" not in page
    added = admin.post("/admin/accounts", login="qian", name="钱经办", role=["clerk", "reviewer"],
                       password="another-pass-1", password2="another-pass-1")  # fmt: skip
    assert added.status_code == 302
    Desk(app, "qian", "another-pass-1")  # signs in with the password the administrator set
    assert admin.post("/admin/accounts", login="sun2", name="孙", role=["clerk"],
                      password="another-pass-1", password2="different-pass").status_code == 400  # fmt: skip
    unconfirmed = admin.post("/admin/accounts/qian/disabled", disabled="1", reason="调离岗位")
    assert unconfirmed.status_code == 400 and "确认停用" in unconfirmed.get_data(as_text=True)
    assert admin.post("/admin/accounts/qian/disabled", disabled="1", confirmed="1").status_code == 400  # why?
    assert (
        admin.post(
            "/admin/accounts/qian/disabled", disabled="1", confirmed="1", reason="调离岗位"
        ).status_code
        == 302
    )
    refused = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', refused.get("/login").get_data(as_text=True))[1]  # type: ignore[index]
    page = refused.post("/login", data={"csrf_token": token, "login": "qian", "password": "another-pass-1"})
    assert page.status_code == 401 and "已停用" in page.get_data(as_text=True)
    assert (
        admin.post("/admin/accounts/admin/disabled", disabled="1", confirmed="1", reason="x").status_code
        == 400
    )
    assert admin.post("/admin/accounts/qian/password", password="third-pass-123",
                      password2="third-pass-123").status_code == 302  # fmt: skip
    with ctx.db.sessions() as s:
        from sqlalchemy import select

        from pipeline.storage.case_models import AuditEvent

        reasons = [
            e.reason for e in s.scalars(select(AuditEvent).where(AuditEvent.actor == "管理员甲（admin）"))
        ]
    assert any(r.startswith("新增账号：钱经办（qian）") for r in reasons)
    assert "停用账号：钱经办（qian）（原因：调离岗位）" in reasons and "重置密码：钱经办（qian）" in reasons


@pytest.mark.slow
def test_the_audit_log_is_read_and_verified_by_auditors(web) -> None:  # type: ignore[no-untyped-def]
    ctx, intake, app = web
    case_id = intake.handle_file(write_unreadable(intake.folders.inbox / "bad.doc", 1))
    assert Desk(app, "wangfang").get("/audit/").status_code == 403
    auditor = Desk(app, "sun")
    page = auditor.get("/audit/", case=str(case_id)).get_data(as_text=True)
    assert "收到来函：bad.doc" in page and "处理失败" in page
    assert "收到来函" not in auditor.get("/audit/", case=str(case_id), text="关闭").get_data(as_text=True)
    assert auditor.get("/audit/", since="2026-13-01").status_code == 400
    checked = auditor.post("/audit/verify")
    assert checked.status_code == 200 and "哈希链校验通过" in checked.get_data(as_text=True)
    with ctx.db.sessions.begin() as s:  # someone edits an event behind the program's back
        from sqlalchemy import update

        from pipeline.storage.case_models import AuditEvent

        s.execute(update(AuditEvent).where(AuditEvent.seq == 1).values(reason="改写"))
    broken = auditor.post("/audit/verify")
    assert broken.status_code == 409 and "记录被修改" in broken.get_data(as_text=True)


@pytest.mark.slow
def test_a_failed_file_is_reprocessed_from_its_archived_original(web) -> None:  # type: ignore[no-untyped-def]
    """The same case goes back to the inbox service: same received time and due date, one history."""
    from pipeline.cases.instances import recover

    ctx, intake, app = web
    case_id = intake.handle_file(write_unreadable(intake.folders.inbox / "late.doc", 2))
    with ctx.db.sessions() as s:
        before = s.get(Case, case_id)
        assert before is not None and before.state == "failed"
        received = before.received_at
    assert (intake.folders.failed / "late.doc").exists()
    assert Desk(app, "sun").post(f"/cases/{case_id}/reprocess").status_code == 403  # an auditor only reads
    clerk = Desk(app, "wangfang")
    assert "重新处理" in clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert clerk.post(f"/cases/{case_id}/reprocess").status_code == 302
    assert not (intake.folders.failed / "late.doc").exists()  # the stale copy and note are gone
    assert clerk.post(f"/cases/{case_id}/reprocess").status_code == 400  # no longer failed
    ready = recover(ctx.db, intake.core.me)
    assert case_id in ready
    intake.core.resume(case_id)
    with ctx.db.sessions() as s:
        after = s.get(Case, case_id)
        assert after is not None and after.state == "failed" and after.received_at == received
        reasons = [e.reason for e in audit.events_for(s, case_id)]
    assert "重新处理：由收件箱服务从存档原件重新读取、提取和核查" in reasons
    assert (intake.folders.failed / "late.doc").exists()  # failed again, parked again with its note


def test_sign_in_failures_from_one_address_make_it_wait() -> None:
    throttle = Throttle(failures=3, window=dt.timedelta(minutes=10))
    t = dt.datetime(2026, 12, 1, 9, 0)
    assert [throttle.failed("10.0.0.7", t) for _ in range(3)] == [False, False, True]  # logged once
    assert throttle.blocked_until("10.0.0.7", t) == t + dt.timedelta(minutes=10)
    assert throttle.blocked_until("10.0.0.8", t) is None  # another desk signs in
    assert throttle.blocked_until("10.0.0.7", t + dt.timedelta(minutes=10)) is None
    assert throttle._seen == {}  # nothing kept for addresses that stopped failing


def test_the_sign_in_page_refuses_an_address_past_its_limit(web) -> None:  # type: ignore[no-untyped-def]
    _, _, app = web
    app.extensions["letters.throttle"] = Throttle(failures=2)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))[1]  # type: ignore[index]
    for login in ("wangfang", "zhou"):
        assert (
            client.post(
                "/login", data={"csrf_token": token, "login": login, "password": "x" * 12}
            ).status_code
            == 401
        )
    right = client.post("/login", data={"csrf_token": token, "login": "wangfang", "password": PASSWORD})
    assert right.status_code == 429 and "登录失败次数过多" in right.get_data(as_text=True)


@pytest.mark.slow
def test_every_page_of_a_faxed_tiff_is_shown(web) -> None:  # type: ignore[no-untyped-def]
    """Regression: an image letter showed its first page only, and a fax's roster is on page 2."""
    pytest.importorskip("rapidocr")
    from PIL import Image

    _, intake, app = web
    path = intake.folders.inbox / "fax.tiff"
    pages = [Image.new("L", (1240, 1754), 255), Image.new("L", (1240, 1754), 250)]
    pages[0].save(path, save_all=True, append_images=pages[1:], dpi=(150, 150))
    case_id = intake.handle_file(path)
    clerk = Desk(app, "wangfang")
    page = clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'alt="来函原件第2页"' in page and 'alt="来函原件第3页"' not in page
    second = clerk.get(f"/cases/{case_id}/pages/2")
    assert second.status_code == 200 and second.mimetype == "image/png"
    assert second.headers["Cache-Control"] == "no-store"
    assert clerk.get(f"/cases/{case_id}/pages/3").status_code == 404


@pytest.mark.slow
def test_an_image_letters_page_size_is_the_one_its_boxes_are_measured_in(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("cv2")
    from PIL import Image

    from pipeline.reading.ocr.images import _image_pages, page_sizes

    for dpi, size in ((200, (1654, 2339)), (None, (3000, 4000)), (None, (4000, 3000))):
        path = tmp_path / f"photo-{dpi}-{size[0]}.png"
        Image.new("RGB", size, "white").save(path, **({"dpi": (dpi, dpi)} if dpi else {}))
        (read,) = list(_image_pages(path))
        h, w = read.image.shape[:2]
        (shown,) = page_sizes(path)
        assert shown == pytest.approx((w * read.pt_per_px, h * read.pt_per_px), rel=1e-3)


@pytest.mark.slow
def test_a_duplicate_is_answered_again_on_a_named_persons_reason(web) -> None:  # type: ignore[no-untyped-def]
    from pipeline.cases.instances import recover
    from tests.service_letters import spec_for, write_letter

    ctx, intake, app = web
    first = intake.handle_file(write_letter(intake.folders.inbox / "a.docx", spec_for(51)))
    archived = next(intake.folders.archive.rglob("*a.docx"))
    (intake.folders.inbox / "again.docx").write_bytes(archived.read_bytes())  # sent a second time
    dup = intake.handle_file(intake.folders.inbox / "again.docx")
    with ctx.db.sessions() as s:
        assert s.get(Case, dup).state == "duplicate"  # type: ignore[union-attr]
    clerk = Desk(app, "wangfang")
    page = clerk.get(f"/cases/{dup}").get_data(as_text=True)
    assert "再次答复" in page
    # Regression: the duplicate page said 原件无法显示 though the original exists, showed an empty
    # roster header, and named the earlier case only in its history.
    with ctx.db.sessions() as s:
        earlier_number = s.get(Case, first).reply_doc_number  # type: ignore[union-attr]
    said = page.split('class="flash warn duplicate">')[1].split("</p>")[0]
    assert f'href="/cases/{first}"' in said and f"已复函（{earlier_number}）" in said
    assert f'src="/cases/{dup}/pages/1"' in page and "原件无法显示" not in page
    assert '<table class="roster">' not in page
    assert clerk.get(f"/cases/{dup}/pages/1").status_code == 200
    assert clerk.post(f"/cases/{dup}/again", reason=" ").status_code == 400  # a reason is required
    assert clerk.post(f"/cases/{dup}/again", reason="来函单位称原复函未收到").status_code == 302
    assert dup in recover(ctx.db, intake.core.me)
    intake.core.resume(dup)
    with ctx.db.sessions() as s:
        again, earlier = s.get(Case, dup), s.get(Case, first)
        assert again.state == earlier.state == "replied"  # type: ignore[union-attr]
        assert again.reply_doc_number != earlier.reply_doc_number  # type: ignore[union-attr]
        (said,) = [e for e in audit.events_for(s, dup) if e.reason.startswith("再次答复")]
    assert said.actor == "王芳（wangfang）" and f"与第{first}号案件内容相同" in said.reason


def test_the_queue_filters_by_reason_unit_and_date(web) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from tests.builders.spec import bad_check_digit
    from tests.service_letters import spec_for, write_letter

    _, intake, app = web
    hit = intake.handle_file(
        write_letter(intake.folders.inbox / "hit.docx", spec_for(61, kind="civil_servant", hit=True))
    )
    spec = dataclasses.replace(spec_for(62), unit="西安市人力资源和社会保障局")
    spec.people[0] = (spec.people[0][0], bad_check_digit(spec.people[0][1]))
    wrong = intake.handle_file(write_letter(intake.folders.inbox / "wrong.docx", spec))
    clerk = Desk(app, "wangfang")

    def shown(**query: str) -> set[int]:
        page = clerk.get("/", **query).get_data(as_text=True)
        return {int(n) for n in re.findall(r'href="/cases/(\d+)"', page)}

    assert shown() == {hit, wrong}
    assert shown(reason="correction") == {wrong} and shown(reason="approval") == {hit}
    assert shown(unit="西安市") == {wrong}
    today = dt.date.today()
    assert shown(since=today.isoformat(), until=today.isoformat()) == {hit, wrong}
    assert shown(until=(today - dt.timedelta(days=1)).isoformat()) == set()
    assert clerk.get("/", since="昨天").status_code == 400


@pytest.mark.slow
def test_a_roster_without_its_letter_is_attached_to_the_letters_case(web, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """附到来函: the loose roster failed, the letter without it waits (no people); a clerk names the
    letter's case, both originals go into one archived zip, the letter is read again and answered."""
    from pipeline.cases.instances import recover
    from pipeline.storage.case_models import CaseTracking
    from tests.builders.bundle_builder import letter_without_roster, roster_xlsx

    ctx, intake, app = web
    path, _, roster = letter_without_roster(160, intake.folders.inbox, people=3, name="来函.docx")
    letter_case = intake.handle_file(path)
    roster_case = intake.handle_file(roster_xlsx(roster, intake.folders.inbox / "名单.xlsx"))
    with ctx.db.sessions() as s:
        letter, loose = s.get(Case, letter_case), s.get(Case, roster_case)
        assert letter is not None and letter.state == "waiting_review"
        assert loose is not None and loose.state == "failed" and "未找到与之一同发送的来函" in loose.error
        received, original_sha = letter.received_at, letter.file_sha256
    clerk = Desk(app, "wangfang")
    page = clerk.get(f"/cases/{roster_case}").get_data(as_text=True)
    assert "附到来函" in page
    assert "附到来函" not in clerk.get(f"/cases/{letter_case}").get_data(as_text=True)
    assert Desk(app, "sun").post(f"/cases/{roster_case}/attach", letter=str(letter_case)).status_code == 403
    assert clerk.post(f"/cases/{roster_case}/attach", letter="abc").status_code == 400
    assert clerk.post(f"/cases/{letter_case}/attach", letter=str(roster_case)).status_code == 400  # wrong way
    done = clerk.post(f"/cases/{roster_case}/attach", letter=f"第{letter_case}号")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{letter_case}")
    assert not (intake.folders.failed / "名单.xlsx").exists()  # the roster's parked copy and note are gone
    assert letter_case in recover(ctx.db, intake.core.me)
    intake.core.resume(letter_case)
    with ctx.db.sessions() as s:
        letter, loose = s.get(Case, letter_case), s.get(Case, roster_case)
        tracking = s.get(CaseTracking, letter_case)
        assert letter.state == "replied" and letter.received_at == received  # same case, same due date
        assert [p["id_number"] for p in letter.letter_json["people"]] == [i for _, i in roster]
        assert loose.state == "closed"
        assert letter.file_sha256 != original_sha and tracking.archive_path.endswith(
            f"附名单{roster_case}.zip"
        )
        reasons = [e.reason for e in audit.events_for(s, letter_case)]
    assert any(r.startswith(f"附加名单：第{roster_case}号案件的“名单.xlsx”") for r in reasons)
    assert (intake.folders.archive / received.strftime("%Y/%m")).is_dir()
    originals = sorted(p.name for p in (intake.folders.archive / received.strftime("%Y/%m")).iterdir())
    assert any(n.endswith("来函.docx") for n in originals) and any(n.endswith("名单.xlsx") for n in originals)


@pytest.mark.slow
def test_a_letter_that_came_with_its_roster_in_a_zip_is_shown_from_the_letter_inside(web, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Regression: a zip case showed no page at all; the console now shows the letter member, with the
    boxes its values were read at."""
    from tests.builders.bundle_builder import roster_xlsx, zip_of
    from tests.builders.pdf_builder import build_pdf
    from tests.service_letters import spec_for

    ctx, intake, app = web
    spec = spec_for(162, people=3)
    roster = list(spec.people)
    spec.people = []
    letter = build_pdf(spec, tmp_path / "函.pdf")
    bundle = zip_of(
        intake.folders.inbox / "带名单.zip",
        {"函.pdf": letter, "名单.xlsx": roster_xlsx(roster, tmp_path / "r.xlsx")},
    )
    case_id = intake.handle_file(bundle)
    clerk = Desk(app, "wangfang")
    page = clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"/cases/{case_id}/pages/1" in page
    image = clerk.get(f"/cases/{case_id}/pages/1")
    assert image.status_code == 200 and image.mimetype == "image/png"
    from pipeline.web.pages import boxes, shown

    unpacked = shown(ctx, case_id)
    assert unpacked is not None and unpacked.read_bytes() == letter.read_bytes()
    assert unpacked.stat().st_mode & 0o777 == 0o600
    with ctx.db.sessions() as s:
        letter_json = s.get(Case, case_id).letter_json  # type: ignore[union-attr]
    assert any(b.key == "unit" for b in boxes(ctx, case_id, letter_json))


@pytest.mark.slow
def test_every_look_at_a_page_of_personal_data_is_recorded_and_an_administrator_sees_none(web) -> None:  # type: ignore[no-untyped-def]
    """Regression: any signed-in account fetched /cases/N/pages/K (the original, with names and full
    IDs) and /cases/N/sent/K with no audit event; the routes now ask the case core, which checks the
    role and records the look."""
    from tests.service_letters import spec_for

    ctx, intake, app = web
    case_id = drop(intake, "seen.pdf", spec_for(171))
    with ctx.db.sessions() as s:
        assert s.get(Case, case_id).state == "replied"  # type: ignore[union-attr]

    def looks() -> list[tuple[str, str]]:
        with ctx.db.sessions() as s:
            return [(e.actor, e.reason) for e in audit.events_for(s, case_id) if e.reason.startswith("查看")]

    admin = Desk(app, "admin")
    for path in (f"/cases/{case_id}", f"/cases/{case_id}/pages/1", f"/cases/{case_id}/sent/1"):
        assert admin.get(path).status_code == 403, path
    assert looks() == []
    clerk = Desk(app, "wangfang")
    assert clerk.get(f"/cases/{case_id}/pages/1").status_code == 200
    assert clerk.get(f"/cases/{case_id}/sent/1").status_code == 200
    auditor = Desk(app, "sun")  # the handling is the auditor's to check
    assert auditor.get(f"/cases/{case_id}/pages/1").status_code == 200
    assert looks() == [
        ("王芳（wangfang）", "查看来函原件第1页（含查询对象个人信息）"),
        ("王芳（wangfang）", "查看已发出复函第1页（含查询对象个人信息）"),
        ("孙审计（sun）", "查看来函原件第1页（含查询对象个人信息）"),
    ]
    assert clerk.get(f"/cases/{case_id + 100}/pages/1").status_code == 404  # nothing to record


def test_the_session_cookie_is_https_only_when_the_office_says_the_console_is_behind_tls(
    web, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Regression: LETTERS_WEB_HTTPS was read from the environment by the app, past Settings: not in
    letters.toml, not in docs/settings.md, and any value but "1" (true, yes) silently left it off."""
    from pipeline.settings import load_settings
    from pipeline.web.app import create_app

    ctx, _, app = web
    assert app.config["SESSION_COOKIE_SECURE"] is False
    for value in ("1", "true", "yes"):
        assert load_settings(env={"LETTERS_WEB_HTTPS": value}, base_dir=tmp_path).web_https is True
    ctx.settings.web_https = True
    assert create_app(ctx=ctx).config["SESSION_COOKIE_SECURE"] is True


def test_a_busy_database_gives_the_console_the_same_words_as_the_command_line(web, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Regression: the console showed 系统内部错误 where the CLI said 数据库正忙 (one mapping now)."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from pipeline.cases import queue as queue_core
    from pipeline.errors import DatabaseBusy

    _, _, app = web
    clerk = Desk(app, "wangfang")

    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr("pipeline.web.queue.queue", locked)
    page = clerk.get("/")
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert DatabaseBusy.default_zh in text and "系统内部错误" not in text
    assert queue_core.queue is not locked  # only the console's reference was replaced


def test_typed_values_are_bounded_by_what_the_field_can_mean(web) -> None:  # type: ignore[no-untyped-def]
    """Regression: corrected fields had no length limit, so a 50 MB 来函单位 made the queue page
    50 MB for every clerk. Each typed value is bounded in the case core, and a request body too."""
    from tests.builders.spec import bad_check_digit
    from tests.service_letters import spec_for

    ctx, intake, app = web
    spec = spec_for(811)
    spec.people[0] = (spec.people[0][0], bad_check_digit(spec.people[0][1]))
    case_id = drop(intake, "long.docx", spec)
    clerk = Desk(app, "wangfang")
    refused = clerk.post(f"/cases/{case_id}/correct", unit="某" * 101, was_unit="")
    assert refused.status_code == 400 and "单位名称过长（101个字），最多100个字" in refused.get_data(
        as_text=True
    )
    refused = clerk.post(f"/cases/{case_id}/delay", until="2099-01-05", reason="沟" * 501)
    assert refused.status_code == 400 and "原因说明过长" in refused.get_data(as_text=True)
    huge = clerk.post(f"/cases/{case_id}/correct", unit="某" * 2_000_000)  # 6 MB of form
    assert huge.status_code == 413 and "提交的内容过大" in huge.get_data(as_text=True)
    with ctx.db.sessions() as s:
        assert len(s.get(Case, case_id).unit or "") < 100  # type: ignore[union-attr]


def test_a_roster_of_one_id_five_thousand_times_is_checked_in_linear_size(web) -> None:  # type: ignore[no-untyped-def]
    """Regression: /cases/N/rules with 5,000 identical IDs answered 120 MB in 28.6 s of CPU (each row
    named every other); each row now names a few and counts the rest."""
    from tests.service_letters import spec_for

    _, intake, app = web
    case_id = drop(intake, "rules.docx", spec_for(812))
    clerk = Desk(app, "wangfang")
    same = "11010519491231002X"
    answer = clerk.client.post(
        f"/cases/{case_id}/rules",
        json={"rows": [["王芳", same]] * 5000},
        headers={"X-CSRFToken": clerk.token},
    )
    assert answer.status_code == 200 and len(answer.data) < 2_000_000
    rows = answer.get_json()["rows"]
    assert rows[0]["same_id_as"] == [2, 3, 4] and rows[0]["same_id_count"] == 4999
    assert rows[4999]["same_id_as"] == [1, 2, 3] and rows[4999]["same_id_count"] == 4999


def test_heavy_console_requests_take_turns() -> None:
    """Drawing pages, checking rosters and rendering previews run one at a time beside the watcher;
    one that cannot get its turn is told the system is busy (503), not queued forever."""
    import threading

    from pipeline.web import heavy

    inside, release, order = threading.Event(), threading.Event(), []

    @heavy.heavy
    def slow() -> str:
        order.append("slow")
        inside.set()
        release.wait(5)
        return "done"

    @heavy.heavy
    def quick() -> str:
        order.append("quick")
        return "done"

    first = threading.Thread(target=slow)
    first.start()
    inside.wait(5)
    old, heavy.WAIT_SECONDS = heavy.WAIT_SECONDS, 0.05
    try:
        with pytest.raises(heavy.ConsoleBusy):
            quick()  # its turn does not come while the slow one runs
    finally:
        heavy.WAIT_SECONDS = old
    release.set()
    first.join(5)
    assert quick() == "done" and order == ["slow", "quick"]


def test_a_release_opens_the_next_case_that_is_this_person_s_move(web) -> None:  # type: ignore[no-untyped-def]
    """After a reply goes out the console opens the most urgent case the person can act on (保存并
    下一件), skipping one another person has claimed; with none left, the queue."""
    import dataclasses

    from pipeline.cases import holds, review
    from tests.review_office import account, seen
    from tests.service_letters import spec_for

    ctx, intake, app = web

    def ready(n: int) -> int:
        case_id = drop(intake, f"ready-{n}.docx", dataclasses.replace(spec_for(n), stated_count=4))
        review.confirm(ctx, case_id, ["count_mismatch"], account("李科长"))
        holds.hand_back(ctx, case_id, account("李科长"))  # his confirmation took it: he gives it back
        return case_id

    first, claimed, second = ready(821), ready(822), ready(823)
    holds.claim(ctx, claimed, account("赵处长"))
    clerk = Desk(app, "wangfang")
    sent = clerk.post(f"/cases/{first}/approve", seen=seen(ctx, first)[1])
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/cases/{second}")
    assert f"已打开下一件：第{second}号" in clerk.get(sent.headers["Location"]).get_data(as_text=True)
    last = clerk.post(f"/cases/{second}/approve", seen=seen(ctx, second)[1])
    assert last.headers["Location"].endswith("/")  # only 赵处长's claimed case is left: the queue


def test_a_clerks_submission_for_review_opens_her_next_case(web) -> None:  # type: ignore[no-untyped-def]
    """Regression: after a correction that left a case to a reviewer alone (a civil-servant hit), the
    clerk stayed on a case she could no longer move; like a release, it opens her next case."""
    from tests.builders.spec import bad_check_digit
    from tests.service_letters import LISTED, spec_for

    _, intake, app = web
    spec = spec_for(62, kind="civil_servant")
    spec.people[1] = (LISTED[0], bad_check_digit(LISTED[1]))  # read wrong; the original says LISTED
    submitted = drop(intake, "hit-after-correction.pdf", spec)
    other = spec_for(63)
    other.people[1] = (other.people[1][0], bad_check_digit(other.people[1][1]))
    following = drop(intake, "next.pdf", other)
    clerk = Desk(app, "wangfang")
    wrong = spec.people[1][1]
    done = clerk.post(f"/cases/{submitted}/correct", **{"2.id_number": LISTED[1], "was_2.id_number": wrong})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{following}")
    page = clerk.get(done.headers["Location"]).get_data(as_text=True)
    assert f"第{submitted}号案件已保存并提交复核" in page and f"已打开下一件：第{following}号" in page
