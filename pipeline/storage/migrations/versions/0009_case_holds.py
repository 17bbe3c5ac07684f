"""Who works on a waiting case in the console, and until when.

Revision ID: 0009_case_holds
Revises: 0008_accounts
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_case_holds"
down_revision = "0008_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_tracking") as batch:
        batch.add_column(sa.Column("held_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("held_until", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_tracking") as batch:
        batch.drop_column("held_until")
        batch.drop_column("held_by")
