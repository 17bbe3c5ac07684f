"""Review claims of their own, a case's history for the second review, and the reply-number ledger.

- `review_claims`: a person's review holds a case by its process (pid and start time), not by a
  service-instance row whose pid a rescan mistook for an earlier life of its own process.
- `case_tracking.ever_hit`, `ever_civil_servant`, `fixes`: what a case has been, which no later edit
  lowers; the second review is decided from them.
- `reply_numbers.used_at`, `void_at`, `confirmed_at`, `note`: every number ends used, void (with the
  audit event that says why) or confirmed. Numbers that already stand on a case or an objection
  are marked used as of their allocation; any other number is voided, with its reason, by the
  service's next start (pipeline.cases.numbering.void_unused).

Revision ID: 0016_claims_history_ledger
Revises: 0015_snapshot_stores
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_claims_history_ledger"
down_revision = "0015_snapshot_stores"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_claims",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("pid_started", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
    )
    with op.batch_alter_table("case_tracking") as batch:
        batch.add_column(sa.Column("ever_hit", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(
            sa.Column("ever_civil_servant", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("fixes", sa.JSON(), nullable=True))
    with op.batch_alter_table("reply_numbers") as batch:
        batch.add_column(sa.Column("used_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("void_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("note", sa.String(1000), nullable=True))
    op.execute(
        "UPDATE reply_numbers SET used_at = allocated_at WHERE doc_number IN ("
        " SELECT reply_doc_number FROM cases WHERE reply_doc_number IS NOT NULL"
        " UNION SELECT corrects_reply FROM case_tracking WHERE corrects_reply IS NOT NULL"
        " UNION SELECT apply_number FROM objections WHERE apply_number IS NOT NULL"
        " UNION SELECT notice_number FROM objections WHERE notice_number IS NOT NULL)"
    )
    # A civil-servant case is one from the start; a stored hit is one. Later checks keep them up.
    op.execute(
        "UPDATE case_tracking SET ever_civil_servant = TRUE"
        " WHERE case_id IN (SELECT id FROM cases WHERE kind = 'civil_servant')"
    )


def downgrade() -> None:
    with op.batch_alter_table("reply_numbers") as batch:
        for name in ("note", "confirmed_at", "void_at", "used_at"):
            batch.drop_column(name)
    with op.batch_alter_table("case_tracking") as batch:
        for name in ("fixes", "ever_civil_servant", "ever_hit"):
            batch.drop_column(name)
    op.drop_table("review_claims")
