"""Every case has a tracking row, and it says where the letter came from.

`letters process FILE` used to make cases without one (the service then
invented it on first read); now every entry point goes through the same
intake. `origin` is inbox (the watched folder: the original leaves it) or
process (a file a person named: it is never moved or deleted). Cases made
before get their row here; the first case with given bytes keeps them as its
claim, so the duplicate rule covers them.

Revision ID: 0007_case_origin
Revises: 0006_closed_cases
Create Date: 2026-12-01
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0007_case_origin"
down_revision = "0006_closed_cases"
branch_labels = None
depends_on = None

FINAL = ("replied", "waiting_review", "failed", "duplicate", "closed")


def _due(received: dt.datetime) -> dt.date:
    """3 working days, counting weekends only: these cases are answered already, or were answered
    by hand; the service's calendar applies to everything it registers itself."""
    day, left = received.date(), 3
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def upgrade() -> None:
    with op.batch_alter_table("case_tracking") as batch:
        batch.add_column(sa.Column("origin", sa.String(20), nullable=False, server_default="inbox"))
    bind = op.get_bind()
    taken = {row[0] for row in bind.execute(sa.text("SELECT claim_key FROM case_tracking")) if row[0]}
    orphans = bind.execute(
        sa.text(
            "SELECT c.id, c.file_sha256, c.original_name, c.received_at, c.updated_at, c.state FROM cases c "
            "LEFT JOIN case_tracking t ON t.case_id = c.id WHERE t.case_id IS NULL ORDER BY c.id"
        )
    ).all()
    for case_id, sha, name, received, updated, state in orphans:
        received = received if isinstance(received, dt.datetime) else dt.datetime.fromisoformat(str(received))
        claim = sha if sha not in taken else None
        taken.add(sha)
        final = state in FINAL
        bind.execute(
            sa.text(
                "INSERT INTO case_tracking (case_id, claim_key, source_path, attempts, due_date, "
                "inbox_cleared_at, finished_at, outcome, origin) "
                "VALUES (:id, :claim, :src, 0, :due, :cleared, :finished, :outcome, 'process')"
            ),
            {
                "id": case_id,
                "claim": claim,
                "src": name,
                "due": _due(received),
                "cleared": received,
                "finished": updated if final else None,
                "outcome": state if final else None,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("case_tracking") as batch:
        batch.drop_column("origin")
