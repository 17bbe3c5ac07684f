"""异议: an objection letter is a case of its own (state 'objection' while its chain runs), with
the chain's steps in `objections`.

Revision ID: 0012_objections
Revises: 0011_spot_checks
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_objections"
down_revision = "0011_spot_checks"
branch_labels = None
depends_on = None

BEFORE = ("received", "processing", "replied", "waiting_review", "failed", "duplicate", "closed")
AFTER = (*BEFORE, "objection")


def _states(states: tuple[str, ...]) -> str:
    return "state IN ({})".format(", ".join(f"'{s}'" for s in states))


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:  # SQLite recreates the table, PostgreSQL alters it
        batch.drop_constraint("ck_cases_state", type_="check")
        batch.create_check_constraint("ck_cases_state", _states(AFTER))
    op.create_table(
        "objections",
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column(
            "original_case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("cited_reply", sa.String(100), nullable=True),
        sa.Column("people", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("applied_at", sa.DateTime, nullable=True),
        sa.Column("applied_by", sa.String(200), nullable=True),
        sa.Column("apply_number", sa.String(100), nullable=True),
        sa.Column("result", sa.String(20), nullable=True),
        sa.Column("result_people", sa.JSON, nullable=True),
        sa.Column("result_received_on", sa.Date, nullable=True),
        sa.Column("result_by", sa.String(200), nullable=True),
        sa.Column("notified_at", sa.DateTime, nullable=True),
        sa.Column("notified_by", sa.String(200), nullable=True),
        sa.Column("notice_number", sa.String(100), nullable=True),
        sa.Column("delays", sa.JSON, nullable=False),
        sa.Column("outputs", sa.JSON, nullable=True),
    )
    op.create_index("ix_objections_original", "objections", ["original_case_id"])


def downgrade() -> None:
    op.drop_index("ix_objections_original", "objections")
    op.drop_table("objections")
    op.execute("UPDATE cases SET state = 'closed' WHERE state = 'objection'")
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("ck_cases_state", type_="check")
        batch.create_check_constraint("ck_cases_state", _states(BEFORE))
