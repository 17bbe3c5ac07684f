"""Drop ix_records_snapshot: no query reads records by snapshot through it.

The check keeps SQLite off that index on purpose (see checking/check.py), and
replacing a snapshot deletes its old records once per import, where a scan is
cheap; the index cost about a microsecond on each of a million inserted rows.

Revision ID: 0004_drop_records_snapshot_ix
Revises: 0003_case_decisions
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0004_drop_records_snapshot_ix"
down_revision = "0003_case_decisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_records_snapshot", table_name="records")


def downgrade() -> None:
    op.create_index("ix_records_snapshot", "records", ["snapshot_id"])
