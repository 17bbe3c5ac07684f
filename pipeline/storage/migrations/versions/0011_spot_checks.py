"""抽查抽检: replies drawn for a second person's re-check, and what that person found.

Revision ID: 0011_spot_checks
Revises: 0010_case_drafts
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_spot_checks"
down_revision = "0010_case_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spot_checks",
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("drawn_at", sa.DateTime, nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("point", sa.Float, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("checked_by", sa.String(200), nullable=True),
        sa.Column("checked_at", sa.DateTime, nullable=True),
        sa.Column("finding", sa.Text, nullable=True),
    )
    op.create_index("ix_spot_checks_status", "spot_checks", ["status"])


def downgrade() -> None:
    op.drop_index("ix_spot_checks_status", "spot_checks")
    op.drop_table("spot_checks")
