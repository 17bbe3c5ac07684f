"""Review from the command line: show, approve a second-review hit, correct a bad ID."""

from __future__ import annotations

import pytest

from pipeline.cli import main
from tests.builders.spec import bad_check_digit
from tests.review_office import as_user, drop, release, seen, state
from tests.service_letters import spec_for


def test_a_civil_servant_hit_is_replied_only_after_approval(
    office, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx, service = office
    case_id = drop(service, "hit.docx", spec_for(1, kind="civil_servant", hit=True))
    assert state(ctx, case_id) == "waiting_review"
    assert main(["review", "show", str(case_id), *as_user("孙审计")]) == 0
    out = capsys.readouterr().out
    assert "二次复审" in out and "失信联合惩戒对象" in out
    assert "610402********3071"[:6] in out and "19760724" not in out  # IDs masked
    assert main(["review", "approve", str(case_id), *as_user("李科长"), *seen(ctx, case_id)]) == 0
    assert "已生成复函" in capsys.readouterr().out
    assert state(ctx, case_id) == "replied"
    assert len([p for p in service.folders.outbox.iterdir() if p.suffix == ".docx"]) == 1
    assert main(["review", "show", str(case_id), *as_user("孙审计")]) == 0
    assert "李科长" in capsys.readouterr().out
    assert main(["audit", "verify"]) == 0


@pytest.mark.slow
def test_a_bad_id_is_corrected_and_replied(office, capsys: pytest.CaptureFixture[str]) -> None:
    ctx, service = office
    spec = spec_for(2)
    name, good = spec.people[1]
    spec.people[1] = (name, bad_check_digit(good))
    case_id = drop(service, "bad-id.pdf", spec)
    assert state(ctx, case_id) == "waiting_review"
    assert main(["review", "approve", str(case_id), *as_user("王芳")]) == 2
    assert "校验位" in capsys.readouterr().err
    assert (
        main(["review", "correct", str(case_id), "--field", "2.id_number", "--value", good, *as_user("王芳")])
        == 10
    )
    assert "待预览复函后发出" in capsys.readouterr().out
    assert release(ctx, case_id, "王芳") == 0
    assert state(ctx, case_id) == "replied"


def test_the_corrector_of_a_hit_cannot_approve_it(office, capsys: pytest.CaptureFixture[str]) -> None:
    ctx, service = office
    spec = spec_for(3, kind="civil_servant", hit=True)
    name, good = spec.people[1]
    spec.people[1] = (name, bad_check_digit(good))
    case_id = drop(service, "hit-bad.docx", spec)
    assert (
        main(["review", "correct", str(case_id), "--field", f"2.id_number={good}", *as_user("李科长")]) == 10
    )
    assert "二次复审" in capsys.readouterr().out
    assert state(ctx, case_id) == "waiting_review"
    assert main(["review", "approve", str(case_id), *as_user("李科长")]) == 2  # a reviewer, but the corrector
    assert "更正人以外" in capsys.readouterr().err
    assert main(["review", "approve", str(case_id), *as_user("王芳")]) == 12  # not the corrector, but no 复核
    assert "复核" in capsys.readouterr().err
    assert main(["review", "approve", str(case_id), *as_user("周复核"), *seen(ctx, case_id)]) == 0
    assert state(ctx, case_id) == "replied"


def test_review_signs_in_and_a_wrong_password_changes_nothing(
    office, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: `--by` was free text, so anyone could type a second name to pass the two-person rule."""
    import io

    ctx, service = office
    case_id = drop(service, "hit-pw.docx", spec_for(7, kind="civil_servant", hit=True))
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong password\n"))
    assert main(["review", "approve", str(case_id), "--user", "like", "--password-stdin"]) == 12
    assert "用户名或密码错误" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # --by is no longer a way in
        main(["review", "approve", str(case_id), "--by", "李科长"])
    assert usage.value.code == 2
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal, no --password-stdin
    assert main(["review", "approve", str(case_id), "--user", "like"]) == 12
    assert "终端" in capsys.readouterr().err
    assert state(ctx, case_id) == "waiting_review"


def test_unknown_field_is_refused_in_chinese(office, capsys: pytest.CaptureFixture[str]) -> None:
    ctx, service = office
    case_id = drop(service, "hit.docx", spec_for(4, kind="civil_servant", hit=True))
    assert main(["review", "correct", str(case_id), "--field", "salary=1", *as_user("王芳")]) == 2
    assert "无法更正" in capsys.readouterr().err
    assert state(ctx, case_id) == "waiting_review"


def test_full_width_corrected_id_is_normalised_like_an_extracted_one(
    office, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: an ID typed with a Chinese input method (６１０…) was stored as 缺少身份证号码."""
    ctx, service = office
    spec = spec_for(3)
    name, good = spec.people[1]
    spec.people[1] = (name, bad_check_digit(good))
    case_id = drop(service, "bad-id.docx", spec)
    full_width = " ".join(
        good.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})[i : i + 6] for i in (0, 6, 12)
    )
    assert (
        main(
            [
                "review",
                "correct",
                str(case_id),
                "--field",
                "2.id_number",
                "--value",
                full_width,
                *as_user("王芳"),
            ]
        )
        == 10
    )
    assert release(ctx, case_id, "王芳") == 0
    assert state(ctx, case_id) == "replied"
    from pipeline.storage.models import Case

    with ctx.db.sessions() as s:
        stored = s.get(Case, case_id).letter_json["people"][1]  # type: ignore[union-attr]
    assert stored["id_number"] == good and stored["problems"] == []


@pytest.mark.parametrize("forged", ["王芳\n复核人：李科长", "王\r芳", "王\u202e芳", "王芳\x00", "王" * 51])
def test_by_with_control_characters_is_refused(
    office, capsys: pytest.CaptureFixture[str], forged: str
) -> None:
    """Regression: a newline in --by forged a line in `review show`. Review now signs in as an
    account, as every command that acts does; an account's name is checked the same way."""
    ctx, service = office
    case_id = drop(service, "hit.docx", spec_for(4, kind="civil_servant", hit=True))
    assert (
        main(
            [
                "users",
                "add",
                "forger",
                "--name",
                forged,
                "--role",
                "clerk",
                "--admin",
                "admin",
                "--password-stdin",
            ]
        )
        == 2
    )
    assert "办理人姓名" in capsys.readouterr().err
    assert state(ctx, case_id) == "waiting_review"
    with pytest.raises(SystemExit):  # no command takes a typed name any more
        main(["cases", "delay", str(case_id), "--until", "2099-12-01", "--reason", "沟通", "--by", forged])
    assert main(["review", "show", str(case_id), *as_user("孙审计")]) == 0
    assert "复核人：李科长" not in capsys.readouterr().out


def test_actor_name_is_trimmed_and_normalised() -> None:
    from pipeline.domain.actor import actor_name

    assert actor_name("  王芳 ") == "王芳"
    assert actor_name("阿卜杜拉·麦麦提") == "阿卜杜拉·麦麦提"


@pytest.mark.slow
def test_no_full_id_from_a_name_cell_on_review_show(office, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: a name cell holding an ID printed it in full in `review show` and `process`."""
    from tests.builders.spec import make_id

    ctx, service = office
    spec = spec_for(6)
    leaked = make_id("610102", "19850505", "555")
    spec.people[0] = (f"王伟{leaked}", spec.people[0][1])
    case_id = drop(service, f"来函{leaked}.docx", spec)
    assert state(ctx, case_id) == "waiting_review"
    assert main(["review", "show", str(case_id), *as_user("孙审计")]) == 0
    out = capsys.readouterr().out
    assert leaked not in out and "610102********5555"[:6] in out
    # the very same bytes (built again, a letter can differ in its timestamps when a second turns)
    letter = service.folders.inbox.parent / "elsewhere.docx"
    letter.write_bytes(next(service.folders.archive.rglob("*.docx")).read_bytes())
    assert main(["process", str(letter)]) == 11  # the same bytes: answered (here: waiting) already
    assert main(["process", str(letter), "--again", "--reason", "原复函未收到", *as_user("王芳")]) == 10
    captured = capsys.readouterr()
    assert leaked not in captured.out + captured.err


def test_a_correction_from_the_cli_waits_for_a_previewed_release(
    office, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Regression: the console held a corrected case for its preview (`hold=True`), but a correction
    from the CLI sent the reply at once and `review approve` released a reply no one had previewed.
    The office's preview rule (Settings.review_preview) now applies on every path."""
    import re

    ctx, service = office
    spec = spec_for(5)
    name, good = spec.people[1]
    spec.people[1] = (name, bad_check_digit(good))
    case_id = drop(service, "preview.docx", spec)
    assert main(["review", "correct", str(case_id), "--field", f"2.id_number={good}", *as_user("王芳")]) == 10
    assert state(ctx, case_id) == "waiting_review"
    capsys.readouterr()
    assert main(["review", "approve", str(case_id), *as_user("王芳")]) == 2  # not previewed
    assert "须先预览" in capsys.readouterr().err
    out = tmp_path / "预览.pdf"
    assert main(["review", "preview", str(case_id), "--out", str(out), *as_user("王芳")]) == 0
    tag = re.search(r"预览标识：(\w+)", capsys.readouterr().out)[1]  # type: ignore[index]
    assert (
        out.read_bytes().startswith(b"%PDF") and out.stat().st_mode & 0o077 == 0
    )  # personal data: owner-only
    assert (
        main(["review", "approve", str(case_id), "--seen", "0" * 32, *as_user("王芳")]) == 2
    )  # not what was seen
    assert main(["review", "approve", str(case_id), "--seen", tag, *as_user("王芳")]) == 0
    assert state(ctx, case_id) == "replied"
    from pipeline.storage import audit

    with ctx.db.sessions() as s:
        assert any(e.reason.startswith("查看复函预览") for e in audit.events_for(s, case_id))


def test_an_office_without_the_preview_rule_answers_a_correction_at_once(office) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    ctx, service = office
    Path("letters.toml").write_text("review_preview = false\n", encoding="utf-8")  # the office's choice
    spec = spec_for(6)
    name, good = spec.people[1]
    spec.people[1] = (name, bad_check_digit(good))
    case_id = drop(service, "no-preview.docx", spec)
    assert main(["review", "correct", str(case_id), "--field", f"2.id_number={good}", *as_user("王芳")]) == 0
    assert state(ctx, case_id) == "replied"
