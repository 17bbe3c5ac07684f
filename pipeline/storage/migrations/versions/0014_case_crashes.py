"""Crashes: how many times the service died while reading this case's letter (two: the file is failed).

Revision ID: 0014_case_crashes
Revises: 0013_correction_letters
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_case_crashes"
down_revision = "0013_correction_letters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_tracking") as batch:
        batch.add_column(sa.Column("crashes", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("case_tracking") as batch:
        batch.drop_column("crashes")
