"""A named person's decisions on verdicts the check cannot settle (possible, name_mismatch).

Revision ID: 0003_case_decisions
Revises: 0002_service_cases
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_case_decisions"
down_revision = "0002_service_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("cases.id", ondelete="CASCADE", name="fk_case_decisions_case_id"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("was", sa.String(20), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_case_decisions_case_id", "case_decisions", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_decisions_case_id", "case_decisions")
    op.drop_table("case_decisions")
