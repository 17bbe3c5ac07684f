"""The closed state: a failed or duplicate case closed by a named person with a reason.

A failed or duplicate file owes no reply within 3 working days (a 说明.txt
dropped by mistake showed as overdue for ever); closing it ends it on record.

Revision ID: 0006_closed_cases
Revises: 0005_staged_snapshots
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0006_closed_cases"
down_revision = "0005_staged_snapshots"
branch_labels = None
depends_on = None

BEFORE = ("received", "processing", "replied", "waiting_review", "failed", "duplicate")
AFTER = (*BEFORE, "closed")


def _states(states: tuple[str, ...]) -> str:
    return "state IN ({})".format(", ".join(f"'{s}'" for s in states))


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:  # SQLite recreates the table, PostgreSQL alters it
        batch.drop_constraint("ck_cases_state", type_="check")
        batch.create_check_constraint("ck_cases_state", _states(AFTER))


def downgrade() -> None:
    op.execute("UPDATE cases SET state = 'failed' WHERE state = 'closed'")
    with op.batch_alter_table("cases") as batch:  # SQLite recreates the table, PostgreSQL alters it
        batch.drop_constraint("ck_cases_state", type_="check")
        batch.create_check_constraint("ck_cases_state", _states(BEFORE))
