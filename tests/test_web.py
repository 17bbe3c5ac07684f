"""The web console in a real browser (Playwright driving Debian's chromium) and through Flask's client.

The letters are PDFs unless a test is about a .docx: the console shows a .docx through a LibreOffice
conversion (seconds each), which test_a_docx_value_lights_up_on_its_converted_pages... covers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.commands.fields import parse_fields
from pipeline.storage import audit
from pipeline.storage.models import Case
from tests.browser import CHROMIUM
from tests.builders.spec import bad_check_digit
from tests.needs import needs_soffice
from tests.review_office import PASSWORD, drop
from tests.service_letters import spec_for

# `make screenshots` sets LETTERS_SCREENSHOTS and copies what docs/clerks.md shows into docs/.
SHOTS = os.environ.get("LETTERS_SCREENSHOTS")


def shoot(page, name: str, *, full_page: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Keep a screenshot of the page for the clerks' manual, when asked (LETTERS_SCREENSHOTS):
    a full-page capture costs Chromium a second, which every other run need not pay."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=full_page)


def state(ctx, case_id: int) -> str:  # type: ignore[no-untyped-def]
    with ctx.db.sessions() as s:
        return s.get(Case, case_id).state  # type: ignore[union-attr]


@pytest.fixture
def console(office) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    from pipeline.web.server import Console

    ctx, intake = office
    server = Console(ctx.settings, "127.0.0.1:0")  # a free port, the real WSGI server (Datasette's pattern)
    server.start()
    yield ctx, intake, server.url.rstrip("/")
    server.stop()


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    """A page in a fresh context of the session's one Chromium (tests/browser.py)."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")
    from tests.browser import shared_browser

    context = shared_browser().new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    for other in shared_browser().contexts:  # the context of the test and any second desk it opened
        other.close()


def release(page, url: str, case_id: int, screenshot: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Open the preview of the reply that will go out, look at it, and send it."""
    page.goto(f"{url}/cases/{case_id}")
    page.click("p.release a")
    page.wait_for_load_state(
        "load"
    )  # images included (wait_for_function would poll by eval, which the CSP refuses)
    assert page.evaluate("[...document.querySelectorAll('.preview img')].every(i => i.naturalWidth > 0)")
    if screenshot:
        shoot(page, screenshot)
    page.click("form.approve button[type=submit]")


def refused_release(page, url: str, case_id: int) -> str:  # type: ignore[no-untyped-def]
    """Open the preview as someone the case core will not let send it: there is no send button, and
    the page says why (pipeline.cases.actions)."""
    page.goto(f"{url}/cases/{case_id}")
    page.click("p.look a")  # 预览复函（仅查看）
    page.wait_for_load_state("load")
    assert page.locator("form.approve").count() == 0
    return page.inner_text("section.work p.flash.warn")


def sign_in(page, url: str, login: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_sign_in_refuses_a_wrong_password_and_shows_the_queue(console, page) -> None:  # type: ignore[no-untyped-def]
    _, intake, url = console
    drop(intake, "bad-id.pdf", _bad_id_spec(31))
    page.goto(url + "/")
    assert "/login" in page.url  # every page needs an account
    sign_in(page, url, "wangfang", "wrong password!")
    assert "用户名或密码错误" in page.content()
    sign_in(page, url, "wangfang")
    assert page.locator("table.queue tbody tr").count() == 1
    assert "需更正" in page.inner_text("table.queue")
    dashboard = page.inner_text("section.dashboard")
    assert "待复核 1" in dashboard and "今日复函 0" in dashboard and "收件箱服务：运行中" in dashboard
    shoot(page, "queue.png", full_page=True)


def test_a_clerk_corrects_an_id_in_the_browser_and_the_reply_goes_out(console, page) -> None:  # type: ignore[no-untyped-def]
    ctx, intake, url = console
    spec, good = _bad_id_spec(32), spec_for(32).people[1][1]
    case_id = drop(intake, "bad-id.pdf", spec)
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    assert "校验位" in page.inner_text("section.reasons")
    shoot(page, "case.png", full_page=True)
    page.fill("input[name='2.id_number']", good)
    page.click("form.correct button[type=submit]")
    assert "待预览复函后发出" in page.inner_text("p.flash")  # nothing goes out on submit
    assert state(ctx, case_id) == "waiting_review" and not list(intake.folders.outbox.iterdir())
    release(page, url, case_id, "release-preview.png")
    assert "已生成复函" in page.inner_text(
        "p.flash"
    ) and "待办列表中已没有您可以办理的来函" in page.inner_text("p.flash")
    assert state(ctx, case_id) == "replied"
    page.goto(f"{url}/cases/{case_id}")  # the console went on to the queue: back to the case sent
    assert "人工更正" in page.inner_text("section.history") and "王芳（wangfang）" in page.inner_text(
        "section.history"
    )


def test_a_wrong_id_is_answered_not_checked_from_the_browser(console, page) -> None:  # type: ignore[no-untyped-def]
    ctx, intake, url = console
    case_id = drop(intake, "wrong.pdf", _bad_id_spec(33))
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    page.check("input[name='2.result'][value=not_checked]")
    page.click("form.correct button[type=submit]")
    release(page, url, case_id)
    assert state(ctx, case_id) == "replied"
    page.goto(f"{url}/cases/{case_id}")  # the console went on to the next case: back to this one
    assert "身份证号码有误，未予查询" in page.inner_text("table.roster")


def test_the_two_person_rule_holds_in_the_browser(console, page) -> None:  # type: ignore[no-untyped-def]
    ctx, intake, url = console
    case_id = drop(intake, "hit.pdf", spec_for(34, kind="civil_servant", hit=True))
    sign_in(page, url, "wangfang")  # a 经办, not a 复核
    assert "复核" in refused_release(page, url, case_id)
    assert state(ctx, case_id) == "waiting_review"
    page.goto(f"{url}/login")
    page.click("header .who button")  # sign out
    sign_in(page, url, "zhou")
    release(page, url, case_id)
    assert state(ctx, case_id) == "replied"


@pytest.mark.slow
def test_pages_refuse_a_post_without_its_token_and_send_security_headers(console) -> None:  # type: ignore[no-untyped-def]
    import http.cookiejar
    import re
    import urllib.error
    import urllib.parse
    import urllib.request

    ctx, intake, url = console
    case_id = drop(intake, "hit.pdf", spec_for(35, kind="civil_servant", hit=True))
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{url}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)[1]  # type: ignore[index]
    body = urllib.parse.urlencode({"login": "zhou", "password": PASSWORD, "csrf_token": token}).encode()
    queue = opener.open(f"{url}/login", body)
    headers = queue.headers
    assert (
        "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        and "unsafe-inline" not in headers["Content-Security-Policy"]
    )
    assert headers["Cache-Control"] == "no-store"
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(f"{url}/cases/{case_id}/approve", b"")  # no CSRF token
    assert refused.value.code == 400 and "安全令牌" in refused.value.read().decode()
    assert state(ctx, case_id) == "waiting_review"
    page = opener.open(f"{url}/cases/{case_id}").read().decode()
    assert "/cases/" not in "".join(
        re.findall(r"href=\"[^\"]*\d{17}[\dX][^\"]*\"", page)
    )  # no full ID in a URL
    with ctx.db.sessions() as s:
        from pipeline.storage import audit

        viewed = [e for e in audit.events_for(s, case_id) if e.reason.startswith("查看案件")]
    assert viewed and viewed[-1].actor == "周复核（zhou）"


def _bad_id_spec(n: int):  # type: ignore[no-untyped-def]
    spec = spec_for(n)
    name, good = spec.people[1]
    spec.people[1] = (name, bad_check_digit(good))
    return spec


def test_the_original_is_shown_and_a_value_lights_up_where_it_was_read(console, page) -> None:  # type: ignore[no-untyped-def]
    _, intake, url = console
    case_id = drop(intake, "bad-id.pdf", _bad_id_spec(36))
    refused: list[str] = []
    page.on(
        "console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    page.wait_for_load_state("load")
    assert page.evaluate("document.querySelector('.page img').naturalWidth > 0")
    page.focus("input[name='2.id_number']")
    box = page.locator(".box.active")
    assert box.count() == 1 and box.first.get_attribute("data-key") == "2.id_number"
    shape = box.first.bounding_box()
    assert (
        shape is not None and shape["width"] > 20 and shape["height"] > 5
    )  # placed on the page, not collapsed
    shoot(page, "case-highlight.png", full_page=False)
    page.locator('.box[data-key="unit"]').first.click()
    assert page.evaluate("document.activeElement.name") == "unit"  # a click on the page focuses its field
    assert refused == []


@pytest.fixture
def decisions_console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    """An office whose lists hold a masked record (a possible match) and an ID under another name."""
    from pipeline.web.server import Console
    from tests.review_office import open_office
    from tests.test_service_decisions import import_lists

    ctx, intake = open_office(tmp_path, monkeypatch, import_lists)
    server = Console(ctx.settings, "127.0.0.1:0")
    server.start()
    yield ctx, intake, server.url.rstrip("/")
    server.stop()
    ctx.close()


def test_a_possible_match_shows_its_list_record_and_is_settled_as_clear(decisions_console, page) -> None:  # type: ignore[no-untyped-def]
    from tests.test_service_decisions import CLEAR, MASKED
    from tests.test_service_decisions import drop as drop_people

    ctx, intake, url = decisions_console
    case_id = drop_people(intake, "possible.pdf", "public_institution", [CLEAR, MASKED])
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    record = page.inner_text("#person-2 .matched")
    assert (
        "失信被执行人" in record
        and "钱七" in record
        and "西安市中级人民法院" in record
        and "(2021)陕01执9号" in record
    )
    assert MASKED[1] not in record and "****" in record  # the list's own masking, shown as the list holds it
    page.select_option("select[name='2.result']", "clear")
    page.click("form.correct button[type=submit]")
    assert "复核" in refused_release(
        page, url, case_id
    )  # once possibly listed, cleared by one person: a second person approves
    assert state(ctx, case_id) == "waiting_review"
    page.click("header .who button")  # sign out
    sign_in(page, url, "zhou")
    release(page, url, case_id)
    assert state(ctx, case_id) == "replied"
    page.goto(f"{url}/cases/{case_id}")
    assert "人工核实：王芳（wangfang）" in page.inner_text("table.roster")


def test_a_claimed_case_is_read_only_to_others_until_its_claim_ends(console, page) -> None:  # type: ignore[no-untyped-def]
    """Looking takes nothing; 领取办理 takes the case; another clerk reads it (no 更正, no 延期);
    signing out or an idle claim frees it."""
    import datetime as dt

    from pipeline.cases import holds, review
    from pipeline.errors import InvalidRequest
    from tests.review_office import account

    ctx, intake, url = console
    case_id = drop(intake, "held.pdf", _bad_id_spec(37))
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    assert page.locator("form.correct").count() == 1
    assert holds.hold(ctx, case_id, account("赵处长")) is None  # her look took nothing: free to him
    holds.release_holds(ctx, account("赵处长"))
    with page.expect_navigation():
        page.click("div.claim button:has-text('领取办理')")
    assert "您已领取本案件" in page.inner_text("div.claim")
    with pytest.raises(InvalidRequest, match="held by"):  # the core refuses, whatever the edge
        review.correct(ctx, case_id, parse_fields(["addressee=省信用办"]), account("赵处长"))
    other = page.context.browser.new_context(locale="zh-CN").new_page()  # 赵处长 at another desk
    sign_in(other, url, "zhao")
    other.goto(f"{url}/cases/{case_id}")
    assert "已由王芳（wangfang）领取办理" in other.inner_text("p.held")
    assert other.locator("form.correct").count() == 0 and other.locator("form.delay").count() == 0
    later = dt.datetime.now() + dt.timedelta(minutes=holds.HOLD_MINUTES + 1)
    assert holds.hold(ctx, case_id, account("赵处长"), later) is None  # an idle claim lapses: his now
    holds.release_holds(ctx, account("赵处长"))
    page.click("header .who button")  # she signs out: nothing of hers is held
    other.goto(f"{url}/cases/{case_id}")
    assert other.locator("form.correct").count() == 1
    assert state(ctx, case_id) == "waiting_review"


def test_the_roster_grid_adds_and_deletes_rows_and_checks_them_as_typed(console, page) -> None:  # type: ignore[no-untyped-def]
    """A heading read as a person is deleted (with confirmation) and a missed row is added; each row's
    rules show while typing, values normalised as extraction does."""
    ctx, intake, url = console
    spec = spec_for(38, people=4)
    missed = spec.people.pop()
    spec.people.insert(1, ("联系人", "029-88886666"))
    case_id = drop(intake, "grid.pdf", spec)
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    page.on("dialog", lambda dialog: dialog.accept())  # 确定删除第2行？
    page.click("#person-2 button.delete-row")
    assert "deleted" in (page.get_attribute("#person-2", "class") or "")
    page.click("button.add-row")
    page.fill("tbody.added input[name='add.name']", missed[0])
    wide = missed[1][:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x"
    page.fill("tbody.added input[name='add.id_number']", bad_check_digit(missed[1]))
    page.locator("tbody.added .rules.bad").wait_for()
    assert "校验位" in page.inner_text("tbody.added .rules")
    page.fill("tbody.added input[name='add.id_number']", wide if missed[1].endswith("X") else missed[1])
    page.locator("tbody.added .rules.good").wait_for()
    page.fill("#person-1 input[name='1.id_number']", spec.people[2][1])  # now the same ID as row 3
    page.locator("#person-1 .rules.bad").wait_for()
    assert "与第3行身份证号码相同" in page.inner_text("#person-1 .rules")
    page.fill("#person-1 input[name='1.id_number']", spec.people[0][1])  # back as stored: nothing to say
    page.locator("#person-1 .rules.bad").wait_for(state="detached")
    shoot(page, "roster-grid.png", full_page=True)
    page.click("form.correct button.submit")
    assert "待预览复函后发出" in page.inner_text("p.flash")
    with ctx.db.sessions() as s:
        people = s.get(Case, case_id).letter_json["people"]  # type: ignore[union-attr,index]
    assert [p["name"] for p in people] == [spec.people[0][0], spec.people[2][0], spec.people[3][0], missed[0]]
    assert people[-1]["id_number"] == missed[1]


def test_a_draft_survives_a_reload_and_is_undone_step_by_step(console, page) -> None:  # type: ignore[no-untyped-def]
    from pipeline.cases import drafts

    ctx, intake, url = console
    spec, good = _bad_id_spec(39), spec_for(39).people[1][1]
    case_id = drop(intake, "draft.pdf", spec)
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    page.fill("input[name='addressee']", "陕西省信用办")
    page.fill("input[name='2.id_number']", good)
    page.locator("input[name='2.id_number']").blur()
    page.locator(".saved", has_text="草稿已保存").wait_for()
    assert page.locator("p.release a").count() == 0 or not page.is_visible("p.release a")
    page.reload()
    assert "已恢复王芳（wangfang）于" in page.inner_text(".draft-note")
    assert page.input_value("input[name='2.id_number']") == good
    assert page.input_value("input[name='addressee']") == "陕西省信用办"
    page.fill("input[name='unit']", "某某单位")
    page.locator("input[name='unit']").blur()
    page.click("button.undo")  # the last edit goes first
    assert page.input_value("input[name='unit']") != "某某单位"
    assert page.input_value("input[name='2.id_number']") == good
    page.click("button.undo")  # then everything the draft held when the page opened
    assert page.input_value("input[name='2.id_number']") == spec.people[1][1]
    assert page.input_value("input[name='addressee']") != "陕西省信用办"
    page.fill("input[name='addressee']", "陕西省信用办")
    page.locator("input[name='addressee']").blur()
    page.locator(".saved", has_text="草稿已保存").wait_for()
    page.reload()
    assert page.input_value("input[name='2.id_number']") == spec.people[1][1]  # the undo was saved too
    assert page.input_value("input[name='addressee']") == "陕西省信用办"
    page.click(".draft-note button")  # 放弃草稿
    assert page.input_value("input[name='addressee']") != "陕西省信用办"
    assert drafts.load_draft(ctx, case_id) is None and state(ctx, case_id) == "waiting_review"


def test_a_draft_saved_late_never_overwrites_the_newer_one(console, page) -> None:  # type: ignore[no-untyped-def]
    """Regression: under load, a draft save still on its way arrived after a newer one; the server
    kept the older draft and a reload showed an edit the clerk had undone. One save is in flight at
    a time now. The first save is held in the network while the clerk edits again."""
    from pipeline.cases import drafts

    ctx, intake, url = console
    case_id = drop(intake, "late.pdf", _bad_id_spec(38))
    held: list = []

    def hold_the_first(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.method == "POST" and not held:
            held.append(route)  # not answered until released below
        else:
            route.continue_()

    page.route("**/draft", hold_the_first)
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    page.fill("input[name='unit']", "甲单位")
    page.locator("input[name='unit']").blur()
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the first draft save was never sent"
    page.fill("input[name='unit']", "乙单位")
    page.locator("input[name='unit']").blur()
    page.wait_for_timeout(1500)  # a second save would have gone by now
    with page.expect_response(lambda r: r.url.endswith("/draft") and r.request.method == "POST"):
        held[0].continue_()  # the first save arrives now, after the clerk's second edit
    page.locator(".saved", has_text="草稿已保存").wait_for()
    saved = drafts.load_draft(ctx, case_id)
    assert saved is not None and saved.body["fields"]["unit"] == "乙单位"


def test_enter_confirms_the_current_item_and_jumps_to_the_next_open_one(console, page) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    _, intake, url = console
    spec = dataclasses.replace(_bad_id_spec(40), stated_count=4)  # a wrong ID blocks, a count to confirm
    case_id = drop(intake, "enter.pdf", spec)
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    page.focus("input[name='addressee']")
    page.keyboard.press("Enter")  # not a submit: to the first blocking item
    assert page.evaluate("document.activeElement.name") == "2.id_number"
    assert "/cases/" in page.url and state(console[0], case_id) == "waiting_review"
    page.keyboard.press("Enter")  # the number is still wrong: not done, the focus stays
    assert page.evaluate("document.activeElement.name") == "2.id_number"
    page.fill("input[name='2.id_number']", spec_for(40).people[1][1])  # corrected as the original reads
    page.keyboard.press("Enter")  # then the unconfirmed count
    assert page.evaluate("document.activeElement.value") == "count_mismatch"
    page.keyboard.press("Enter")  # confirms it
    assert page.is_checked("input[name=code][value=count_mismatch]")


def test_a_scan_is_compared_row_by_row_by_keyboard_with_its_box_lit_then_released(
    console, page, as_scans
) -> None:  # type: ignore[no-untyped-def]
    """Regression: a scan's confirmation was a two-click stamp on the whole letter. Each field and row
    is ticked against the original by Enter, the original's boxes following; only then may it go."""
    ctx, intake, url = console
    spec = spec_for(45)
    spec.people[1] = ("古丽米拉·艾合买提江", spec.people[1][1])
    case_id = drop(intake, "scan.pdf", spec)
    page.set_viewport_size({"width": 1366, "height": 768})  # an office laptop
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    right = page.evaluate("document.querySelector('table.roster').getBoundingClientRect().right")
    assert right <= 1366 + 1  # the ticks fit beside the grid
    assert page.locator("input[name='2.name']").evaluate("e => e.scrollWidth <= e.clientWidth")
    ticks = page.locator("input[name=compared]")
    assert ticks.count() == len(spec_for(45).people) + 5  # five header fields, every row
    assert page.evaluate("document.activeElement.name") == "compared"  # the first item, focused on load
    assert page.locator("p.release a").count() == 0  # nothing to preview before the comparison
    for n in range(ticks.count() - 1):
        page.keyboard.press("Enter")
        keys = page.evaluate("document.activeElement.dataset.key").split()
        lit = page.evaluate("Array.from(document.querySelectorAll('.box.active')).map(b => b.dataset.key)")
        assert lit and set(lit) <= set(keys), (keys, lit)  # the original's box follows the item
        if n == 6:
            shoot(page, "scan-comparison.png", full_page=False)  # mid-way, as the clerk sees it
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.className") == "submit"  # all ticked: save is next
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "扫描件" not in page.inner_text("section.reasons")  # no reason left about it
    assert page.locator("span.compared").count() >= len(spec_for(45).people)
    release(page, url, case_id)
    assert state(ctx, case_id) == "replied"
    with ctx.db.sessions() as s:
        events = [e.reason for e in audit.events_for(s, case_id)]
    assert any(e.startswith("对照原件核对：") and "第1人" in e for e in events)


def test_a_case_is_delayed_and_a_failed_file_closed_in_the_browser(console, page) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from tests.test_web_pages import write_unreadable

    ctx, intake, url = console
    waiting = drop(intake, "delay.pdf", _bad_id_spec(41))
    failed = intake.handle_file(write_unreadable(intake.folders.inbox / "旧格式.doc", 41))
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{waiting}")
    later = ctx.calendar.next_workday(
        dt.date.today() + dt.timedelta(days=20)
    )  # a working day, whatever today is
    page.fill("form.delay input[name=until]", later.isoformat())
    page.fill("form.delay input[name=reason]", "来函单位补充材料")
    page.click("form.delay button")
    assert f"办理期限已延至{later:%Y年%m月%d日}" in page.inner_text("p.flash")
    assert "来函单位补充材料" in page.inner_text("section.history")
    page.goto(f"{url}/?state=failed")
    page.click(f"table.queue a[href$='/cases/{failed}']")
    assert "失败原因" in page.inner_text("main") and page.locator("form.reprocess").count() == 1
    page.fill("form.close input[name=reason]", "误放入收件箱的旧版文件，已电话联系来函单位重发")
    page.click("form.close button")
    assert "案件已关闭" in page.inner_text("p.flash") and state(ctx, failed) == "closed"
    assert "王芳（wangfang）" in page.inner_text("section.history")


def test_an_auditor_reads_the_log_and_an_administrator_adds_an_account(console, page) -> None:  # type: ignore[no-untyped-def]
    _, intake, url = console
    drop(intake, "seen.pdf", _bad_id_spec(42))
    sign_in(page, url, "sun")
    page.click("header nav a:has-text('审计日志')")
    page.click("form.inline button")  # verify the chain
    assert "哈希链校验通过" in page.inner_text("pre.report")
    assert "收到来函：seen.pdf" in page.inner_text("table.audit")
    shoot(page, "audit.png", full_page=True)
    assert page.locator("header nav a:has-text('账号管理')").count() == 0
    page.click("header nav a:has-text('抽查抽检')")
    assert "全部一致，未发现人为选择" in page.inner_text("section.recount")  # the auditor recounts the draws
    page.click("header .who button")
    sign_in(page, url, "admin")
    page.click("header nav a:has-text('账号管理')")
    page.fill("form.add-account input[name=login]", "qian")
    page.fill("form.add-account input[name=name]", "钱经办")
    page.check("form.add-account input[value=clerk]")
    page.fill("form.add-account input[name=password]", "first-pass-123")
    page.fill("form.add-account input[name=password2]", "first-pass-123")
    page.click("form.add-account button")
    assert "已新增账号：钱经办（qian）" in page.inner_text("p.flash")
    assert "经办" in page.inner_text("#account-qian")


@needs_soffice
def test_a_docx_value_lights_up_on_its_converted_pages_even_after_a_correction(console, page) -> None:  # type: ignore[no-untyped-def]
    _, intake, url = console
    spec, good = _bad_id_spec(43), spec_for(43).people[1][1]
    case_id = drop(intake, "highlight.docx", spec)
    sign_in(page, url, "wangfang")

    def lit(key: str) -> dict:
        page.focus(f"input[name='{key}']")
        box = page.locator(".box.active")
        assert box.count() >= 1 and box.first.get_attribute("data-key") == key
        shape = box.first.bounding_box()
        assert shape is not None and shape["width"] > 20 and shape["height"] > 5
        left, top, _, height = (float(v) for v in (box.first.get_attribute("data-at") or "").split(","))
        return {"x": left, "y": top, "height": height}  # percentages of the page: scrolling aside

    page.goto(f"{url}/cases/{case_id}")
    page.wait_for_load_state("load")
    one, two = lit("1.id_number"), lit("2.id_number")
    assert two["y"] > one["y"]  # each person on their own row
    assert abs(lit("2.name")["y"] - two["y"]) < two["height"]  # the name on its ID's line
    lit("unit")
    shoot(page, "case-docx-highlight.png", full_page=False)
    page.fill("input[name='2.id_number']", good)
    with page.expect_navigation():  # the form posts and comes back to the case: wait for that page
        page.click("form.correct button.submit")
    page.wait_for_load_state("load")
    lit("2.id_number")  # where it was read is kept with the corrected letter


def test_a_reviewer_releases_a_hit_its_clerk_still_has_open(console, page) -> None:  # type: ignore[no-untyped-def]
    """Regression: the clerk's hold (15 minutes) kept the second reviewer from the release, so a
    civil-servant hit waited until the clerk signed out or went idle."""
    ctx, intake, url = console
    case_id = drop(intake, "hit-open.pdf", spec_for(44, kind="civil_servant", hit=True))
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    with page.expect_navigation():  # hers, and she stays on it
        page.click("div.claim button:has-text('领取办理')")
    reviewer = page.context.browser.new_context(locale="zh-CN").new_page()
    sign_in(reviewer, url, "zhou")
    reviewer.goto(f"{url}/cases/{case_id}")
    assert "已由王芳（wangfang）领取办理" in reviewer.inner_text("p.held")
    assert reviewer.locator("form.correct").count() == 0  # no edits while she holds it
    release(reviewer, url, case_id)
    assert "已生成复函" in reviewer.inner_text("p.flash") and state(ctx, case_id) == "replied"


def test_a_release_is_refused_when_the_case_changed_after_its_preview(console, page) -> None:  # type: ignore[no-untyped-def]
    from pipeline.cases import review
    from tests.review_office import account

    ctx, intake, url = console
    case_id = drop(intake, "changed.pdf", _bad_id_spec(45))
    review.correct(ctx, case_id, parse_fields(["2.result=not_checked"]), account("赵处长"))
    sign_in(page, url, "like")
    page.goto(f"{url}/cases/{case_id}")
    page.click("p.release a")  # 李科长 looks at the preview ...
    with ctx.db.sessions() as s:  # ... while 赵处长's hold has lapsed and he corrects the addressee
        from sqlalchemy import update

        from pipeline.storage.case_models import CaseTracking

        s.execute(update(CaseTracking).values(held_by=None, held_until=None))
        s.commit()
    review.correct(ctx, case_id, parse_fields(["addressee=陕西省信用办"]), account("赵处长"))
    page.click("form.approve button[type=submit]")
    assert "预览后已被修改" in page.inner_text("p.flash.error") and state(ctx, case_id) == "waiting_review"
    release(page, url, case_id)  # a fresh preview shows the new addressee, and goes out
    assert state(ctx, case_id) == "replied"


def test_a_drawn_reply_is_spot_checked_in_the_browser(console, page) -> None:  # type: ignore[no-untyped-def]
    ctx, intake, url = console
    ctx.settings.spot_check_share = 1.0  # every automatic reply drawn
    case_id = drop(intake, "spot.pdf", spec_for(46))
    assert state(ctx, case_id) == "replied"
    sign_in(page, url, "wangfang")
    page.click("header nav a:has-text('抽查抽检')")
    assert "自动复函随机抽查" in page.inner_text("table.spot")
    page.click(f"table.spot a[href$='/cases/{case_id}']")
    page.wait_for_load_state("load")
    assert page.evaluate("document.querySelector('.page img').naturalWidth > 0")  # the original beside it
    assert page.evaluate("[...document.querySelectorAll('.sent-pages img')].every(i => i.naturalWidth > 0)")
    assert page.locator(".sent-pages img").count() >= 2  # and the reply as it went out, every page
    shoot(page, "spotcheck-case.png", full_page=True)
    page.check("form.spot input[value=error]")
    page.click("form.spot button")
    assert "写明错误内容" in page.inner_text("p.flash.error")  # an error needs what it is
    page.goto(f"{url}/cases/{case_id}")
    page.check("form.spot input[value=agreed]")
    page.click("form.spot button")
    assert "抽查结果已记录：核对无误" in page.inner_text("p.flash")
    assert "抽查抽检：核对无误" in page.inner_text("section.history")
    page.goto(f"{url}/spotchecks/?status=agreed")
    shoot(page, "spotchecks.png", full_page=True)
    assert "王芳（wangfang）" in page.inner_text("table.spot")


def test_the_report_page_shows_the_figures_and_its_files_download(console, page) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    import docx
    import openpyxl

    _, intake, url = console
    drop(intake, "one.pdf", spec_for(47))
    drop(intake, "two.pdf", _bad_id_spec(48))
    month = f"{dt.date.today():%Y-%m}"
    sign_in(page, url, "wangfang")
    page.click("header nav a:has-text('定期通报')")
    page.fill("form.filter input[name=period]", month)
    page.click("form.filter button")
    summary = page.inner_text("table.report")
    assert "收到查询函" in summary and "2件" in summary and "出具复函" in summary
    assert "经办工作量" not in page.inner_text("main")  # a clerk does not see the staff's workload
    shoot(page, "report.png", full_page=True)
    got = {}
    for kind in ("docx", "pdf", "xlsx"):
        with page.expect_download() as download:
            page.click(f"p.downloads a:has-text('{kind.upper()}')")
        got[kind] = download.value.path()
        assert download.value.suggested_filename.endswith(f"社会信用记录查询工作情况通报.{kind}")
    assert "工作情况通报" in docx.Document(str(got["docx"])).paragraphs[0].text
    assert got["pdf"].read_bytes().startswith(b"%PDF")
    with got["xlsx"].open("rb") as fh:  # the download's temporary name has no suffix
        assert (
            openpyxl.load_workbook(fh)["总体情况"]["A2"].value == "收到查询函（不含重复来函、处理失败的文件）"
        )
    page.click("header .who button")
    sign_in(page, url, "admin")
    page.goto(f"{url}/reports/?period={month}")
    assert "经办工作量" in page.inner_text("main")


def test_an_objection_is_applied_for_its_result_registered_and_the_unit_told_in_the_browser(
    console, page
) -> None:  # type: ignore[no-untyped-def]
    from pipeline.cases import objections
    from tests.service_letters import LISTED
    from tests.test_objections import objection_spec

    ctx, intake, url = console
    original = drop(intake, "query.pdf", spec_for(49, hit=True))
    with ctx.db.sessions() as s:
        number = s.get(Case, original).reply_doc_number  # type: ignore[union-attr]
    obj = drop(intake, "objection.pdf", objection_spec(750, number, [LISTED]))
    sign_in(page, url, "wangfang")
    page.click("header nav a:has-text('异议办理')")
    assert "待向国家公共信用信息中心申请异议复核" in page.inner_text("table.objections")
    page.click(f"table.objections a[href$='/objections/{obj}']")
    assert "个工作日" in page.inner_text("table.clocks")  # how the due date was counted
    page.click("p.apply a")  # the letter is previewed first, as a reply is
    page.wait_for_load_state("load")
    assert page.locator("section.preview img").count() == 1  # one person: one page
    shoot(page, "objection-apply-preview.png")
    page.click("form.approve button")
    assert "已发出异议复核申请函" in page.inner_text("p.flash")
    page.select_option(f"select[name='now.{LISTED[1]}']", "clear")  # the national centre changed it
    page.click("form.result button")
    assert "已登记复核结果：更正查询结果" in page.inner_text("p.flash")
    shoot(page, "objection.png", full_page=True)
    page.click("div.notify a")
    page.wait_for_load_state("load")
    assert page.locator("section.preview img").count() == 1
    assert "不属于失信联合惩戒对象" in page.inner_text("table.verdicts")
    shoot(page, "objection-notice-preview.png")
    page.click("form.approve button")
    assert "已发出复核结果告知函" in page.inner_text("p.flash") and state(ctx, obj) == "replied"
    outputs = objections.view(ctx, obj).outputs
    assert {"apply_docx", "apply_pdf", "notice_docx", "notice_pdf"} <= set(outputs)
    assert all((ctx.settings.path(ctx.settings.outbox) / name).exists() for name in outputs.values())
    page.goto(f"{url}/cases/{original}")
    assert "更正查询结果" in page.inner_text("section.history")  # the original case shows it
    assert "复核结果：更正查询结果" in page.inner_text("p.objected")


def test_a_loose_roster_is_attached_to_its_letter_in_the_browser(console, page) -> None:  # type: ignore[no-untyped-def]
    from tests.builders.bundle_builder import letter_without_roster, roster_xlsx

    ctx, intake, url = console
    path, _, roster = letter_without_roster(161, intake.folders.inbox, people=2, name="来函.docx")
    letter = intake.handle_file(path)
    loose = intake.handle_file(roster_xlsx(roster, intake.folders.inbox / "名单.xlsx"))
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{loose}")
    assert "未找到与之一同发送的来函" in page.inner_text("main")
    page.fill("form.attach input[name=letter]", str(letter))
    page.click("form.attach button")
    assert f"名单已附到第{letter}号案件的来函" in page.inner_text("p.flash")
    assert page.url.endswith(f"/cases/{letter}") and state(ctx, loose) == "closed"
    assert state(ctx, letter) in ("received", "processing", "replied")  # handed back to the inbox service


def _sign_out(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login")
    page.click("header .who button")


def test_a_clerk_cannot_clear_a_listed_candidate_by_correcting_the_id_in_the_browser(console, page) -> None:  # type: ignore[no-untyped-def]
    """Regression (the two-person rule against corrections): …33554 → …33562 by one clerk went out as
    不属于. Now it waits for a 复核 account, which sees the change beside the first reading."""
    from tests.service_letters import LISTED, person

    ctx, intake, url = console
    case_id = drop(intake, "hit-id.pdf", spec_for(35, kind="civil_servant", hit=True))
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    page.fill("input[name='1.id_number']", person(9_911)[1])
    page.click("form.correct button[type=submit]")
    page.goto(f"{url}/cases/{case_id}")
    reasons = page.inner_text("section.reasons")
    assert "更正人以外的复核人员" in reasons and "更正前核查：失信联合惩戒对象" in reasons
    beside = page.inner_text("section.corrections")  # the change beside the first reading, in full
    assert LISTED[1] in beside and person(9_911)[1] in beside and "王芳（wangfang）" in beside
    shoot(page, "corrected-hit-reasons.png", full_page=True)
    # Regression: the clerk was offered 预览复函并发出 and learnt only after clicking that a 复核 must
    # send it; she sees that it is submitted for review, and may look at the preview without sending.
    assert page.locator("p.release a").count() == 0
    assert "已提交复核" in page.inner_text("p.submitted") and "待二次复审" in page.inner_text("p.submitted")
    assert "复核" in refused_release(page, url, case_id)
    assert state(ctx, case_id) == "waiting_review" and not list(intake.folders.outbox.iterdir())
    _sign_out(page, url)
    sign_in(page, url, "like")  # a 复核 who is also a clerk: puts the number back and releases
    page.goto(f"{url}/cases/{case_id}")
    page.fill("input[name='1.id_number']", LISTED[1])
    page.click("form.correct button[type=submit]")
    page.goto(f"{url}/cases/{case_id}")
    assert "不再生效" in page.inner_text("section.corrections")
    shoot(page, "corrected-hit-put-back.png", full_page=True)
    release(page, url, case_id)
    assert state(ctx, case_id) == "replied"
    page.goto(f"{url}/cases/{case_id}")
    assert "失信联合惩戒对象" in page.inner_text("table.roster")
    with ctx.db.sessions() as s:
        assert s.get(Case, case_id).check_json["results"][0]["verdict"] == "listed"  # type: ignore[union-attr]


def test_a_clerk_cannot_release_a_civil_servant_hit_as_public_institution_in_the_browser(
    console, page
) -> None:  # type: ignore[no-untyped-def]
    ctx, intake, url = console
    case_id = drop(intake, "hit-kind.pdf", spec_for(36, kind="civil_servant", hit=True))
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    page.select_option("select[name=kind]", "public_institution")
    page.click("form.correct button[type=submit]")
    page.goto(f"{url}/cases/{case_id}")
    assert "查询类别" in page.inner_text("section.reasons")
    assert page.locator("p.release a").count() == 0 and page.locator("p.submitted").count() == 1
    assert "复核" in refused_release(page, url, case_id)
    assert state(ctx, case_id) == "waiting_review"
    _sign_out(page, url)
    sign_in(page, url, "like")
    page.goto(f"{url}/cases/{case_id}")
    page.select_option("select[name=kind]", "civil_servant")
    page.click("form.correct button[type=submit]")
    release(page, url, case_id)
    assert state(ctx, case_id) == "replied"
    with ctx.db.sessions() as s:
        assert s.get(Case, case_id).kind == "civil_servant"  # type: ignore[union-attr]


def test_the_grid_fits_an_office_laptop_and_the_keyboard_works_from_the_start(console, page) -> None:  # type: ignore[no-untyped-def]
    """Regression: at 1366×768 the roster overflowed its panel (删除 cut, 古丽米拉·艾… cut); nothing
    had the focus on load, so Enter did nothing until a click; Enter marked a still-wrong value done;
    Tab stopped on every 删除."""
    _, intake, url = console
    spec = _bad_id_spec(91)
    spec.people[1] = ("古丽米拉·艾合买提江", spec.people[1][1])
    case_id = drop(intake, "wide.pdf", spec)
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, url, "wangfang")
    page.goto(f"{url}/cases/{case_id}")
    page.wait_for_load_state("load")
    right = page.evaluate("document.querySelector('table.roster').getBoundingClientRect().right")
    assert right <= 1366 + 1
    name = page.locator("input[name='2.name']")
    assert name.evaluate("e => e.scrollWidth <= e.clientWidth")  # the whole name shows
    focused = page.evaluate("document.activeElement.name")
    assert focused == "2.id_number"  # the first open item: the wrong ID, focused and in view
    page.keyboard.press("Enter")  # left as it was read: not done, the focus stays
    assert page.evaluate("document.activeElement.name") == "2.id_number"
    assert page.evaluate("!document.activeElement.dataset.done")
    page.focus("input[name='1.id_number']")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "2.name"  # 删除 is skipped
    reason = page.locator("section.reasons a.to-row")
    assert reason.get_attribute("href") == "#person-2"
