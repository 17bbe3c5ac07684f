"""The audit chain: any edited or deleted event is found; the service tables match their migration."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from pipeline.storage import Database, audit
from pipeline.storage.case_models import Base

pytest_plugins = ["tests.db_backends"]

SERVICE_TABLES = {
    "case_tracking",
    "case_delays",
    "case_decisions",
    "audit_events",
    "audit_head",
    "service_instances",
}


def _service_only(name: str | None, type_: str, parent_names: dict) -> bool:
    if type_ == "schema":
        return True
    if type_ == "table":
        return name in SERVICE_TABLES
    return parent_names.get("table_name") in SERVICE_TABLES


def test_service_models_agree_with_their_migration(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_name": _service_only,
                "include_object": lambda obj, name, type_, reflected, other: _service_only(
                    name, type_, {"table_name": getattr(getattr(obj, "table", None), "name", None)}
                ),
            },
        )
        assert compare_metadata(context, Base.metadata) == []


def _chain(db: Database, n: int = 5) -> None:
    with db.sessions.begin() as s:
        for i in range(n):
            audit.append(
                s,
                actor="张三" if i % 2 else "service",
                case_id=i,
                from_state="received",
                to_state="processing",
                reason=f"第{i}步",
            )


def _verify(db: Database) -> audit.ChainReport:
    with db.sessions() as s:
        return audit.verify_chain(s)


def test_intact_chain_verifies(db: Database) -> None:
    _chain(db)
    report = _verify(db)
    assert report.ok and report.events == 5
    assert "校验通过" in report.summary_zh()


def test_edited_event_is_detected(db: Database) -> None:
    _chain(db)
    with db.engine.begin() as c:
        c.execute(text("UPDATE audit_events SET actor = '李四' WHERE seq = 3"))
    report = _verify(db)
    assert not report.ok
    assert any("第3条" in p and "修改" in p for p in report.problems)


def test_deleted_middle_event_is_detected(db: Database) -> None:
    _chain(db)
    with db.engine.begin() as c:
        c.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    assert any("缺失" in p for p in _verify(db).problems)


def test_deleted_last_event_is_detected(db: Database) -> None:
    _chain(db)
    with db.engine.begin() as c:
        c.execute(text("DELETE FROM audit_events WHERE seq = 5"))
    report = _verify(db)
    assert not report.ok and any("末尾" in p for p in report.problems)


def test_rehashed_edit_still_breaks_the_next_link(db: Database) -> None:
    _chain(db)
    with db.sessions() as s:
        ev = s.execute(
            text(
                "SELECT seq, at, actor, case_id, from_state, to_state, prev_hash FROM audit_events WHERE seq = 2"
            )
        ).one()
    forged = audit.event_hash(
        ev.seq, ev.at, ev.actor, ev.case_id, ev.from_state, ev.to_state, "伪造", ev.prev_hash
    )
    with db.engine.begin() as c:
        c.execute(text("UPDATE audit_events SET reason = '伪造', hash = :h WHERE seq = 2"), {"h": forged})
    report = _verify(db)
    assert any("第3条" in p and "链接" in p for p in report.problems)
