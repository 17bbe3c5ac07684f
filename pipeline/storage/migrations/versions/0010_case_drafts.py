"""A clerk's unsubmitted changes to a waiting case, kept across reloads and lapsed holds.

Revision ID: 0010_case_drafts
Revises: 0009_case_holds
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_case_drafts"
down_revision = "0009_case_holds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_drafts",
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("saved_by", sa.String(200), nullable=False),
        sa.Column("saved_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_drafts")
