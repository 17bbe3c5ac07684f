"""Reply 文号 never repeat after the database is lost or restored from an old backup.

Found trying faults: with the database removed and the service started again, 陕信用函〔2026〕1–3号
were each issued twice (the counter started over).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from pipeline.cases.numbering import behind, check_numbers, confirm_numbers, next_reply_number
from pipeline.errors import NotAllowed, NumbersBehind
from pipeline.settings import load_settings
from pipeline.storage import open_database
from tests.review_office import account

NOW = dt.datetime(2026, 12, 1, 10, 0)


def _office(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = load_settings(env={}, config=tmp_path / "none.toml", base_dir=tmp_path)
    return settings, open_database(settings)


def _lose_the_database(tmp_path: Path, settings):  # type: ignore[no-untyped-def]
    for path in (tmp_path / "data").glob("letters.db*"):
        path.unlink()
    return open_database(settings)


def test_a_number_issued_before_the_database_was_lost_is_never_issued_again(tmp_path: Path) -> None:
    settings, db = _office(tmp_path)
    issued = [next_reply_number(db.sessions, settings, 2026, case_id=None, now=NOW) for _ in range(3)]
    assert issued == ["陕信用函〔2026〕1号", "陕信用函〔2026〕2号", "陕信用函〔2026〕3号"]
    assert (tmp_path / "data" / "reply-numbers.json").stat().st_mode & 0o777 == 0o600
    db.dispose()
    db = _lose_the_database(tmp_path, settings)
    assert next_reply_number(db.sessions, settings, 2026, case_id=None, now=NOW) == "陕信用函〔2026〕4号"
    db.dispose()


def test_the_service_will_not_start_while_the_database_is_older_than_the_published_replies(
    tmp_path: Path,
) -> None:
    """The counter file lost too (data/ restored from an old backup): the published results still carry
    their 文号, and the service refuses until an administrator confirms."""
    settings, db = _office(tmp_path)
    backup = tmp_path / "backup"
    db.dispose()
    shutil.copytree(tmp_path / "data", backup)  # the backup is taken here, before three replies
    db = open_database(settings)
    for _ in range(3):
        next_reply_number(db.sessions, settings, 2026, case_id=None, now=NOW)
    results = tmp_path / "data" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "2026-06-04_某单位_某函〔2026〕1号_复函_结果.json").write_text(
        '{"reply_doc_number": "陕信用函〔2026〕3号"}', encoding="utf-8"
    )
    db.dispose()
    for path in (tmp_path / "data").glob("letters.db*"):
        path.unlink()
    (tmp_path / "data" / "reply-numbers.json").unlink()
    for path in backup.glob("letters.db*"):
        shutil.copy(path, tmp_path / "data" / path.name)  # restored
    db = open_database(settings)
    with pytest.raises(NumbersBehind) as refused:
        check_numbers(db, settings)
    assert (
        "陕信用函〔2026〕3号" in refused.value.message_zh and "请管理员核实后确认" in refused.value.message_zh
    )
    with pytest.raises(NotAllowed):  # the counters are the administrator's word, from any edge
        confirm_numbers(db, settings, account("王芳"), NOW)
    done = confirm_numbers(db, settings, account("管理员甲"), NOW)
    assert [(b.year, b.issued) for b in done] == [(2026, 3)] and behind(db, settings) == []
    check_numbers(db, settings)  # starts now
    assert next_reply_number(db.sessions, settings, 2026, case_id=None, now=NOW) == "陕信用函〔2026〕4号"
    from sqlalchemy import select

    from pipeline.storage.case_models import AuditEvent

    with db.sessions() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.case_id.is_(None))))
    assert [e.actor for e in events if "复函文号计数已按已发出的复函校正" in e.reason] == [
        "管理员甲（admin）"
    ]
    db.dispose()


def test_a_whole_database_has_nothing_to_reconcile(tmp_path: Path) -> None:
    settings, db = _office(tmp_path)
    next_reply_number(db.sessions, settings, 2026, case_id=None, now=NOW)
    check_numbers(db, settings)
    assert confirm_numbers(db, settings, account("管理员甲"), NOW) == []
    db.dispose()


def test_the_watch_service_refuses_to_start_and_says_why(tmp_path: Path) -> None:
    from pipeline.inbox.run import Service
    from tests.service_fakes import fake_processor

    settings, db = _office(tmp_path)
    db.dispose()
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "陕信用函〔2026〕7号-转办函-某单位.pdf").write_bytes(b"%PDF-1.4")  # a letter that went out
    svc = Service(settings, processor_factory=fake_processor)
    try:
        with pytest.raises(NumbersBehind) as refused:
            svc.start()
        assert "陕信用函〔2026〕7号" in refused.value.message_zh
    finally:
        svc.stop()
