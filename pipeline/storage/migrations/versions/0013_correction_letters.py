"""更正函: the reply a case's next reply corrects (a spot check found an error in it).

Revision ID: 0013_correction_letters
Revises: 0012_objections
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_correction_letters"
down_revision = "0012_objections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_tracking") as batch:
        batch.add_column(sa.Column("corrects_reply", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_tracking") as batch:
        batch.drop_column("corrects_reply")
