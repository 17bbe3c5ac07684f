"""Staged list snapshots, and the categories a snapshot's records carry.

A snapshot that shrinks too much or whose file did not parse cleanly is kept
with `staged_reason` set and `is_current` false; the check never reads it.
`categories` counts records per 名单类别, counted while importing, so status
never scans millions of records to show them.

Revision ID: 0005_staged_snapshots
Revises: 0004_drop_records_snapshot_ix
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_staged_snapshots"
down_revision = "0004_drop_records_snapshot_ix"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        batch.add_column(sa.Column("staged_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("categories", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        batch.drop_column("categories")
        batch.drop_column("staged_reason")
