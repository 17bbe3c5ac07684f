"""Failure kinds: why a case failed, as a code beside the Chinese text (pipeline.errors.FailureKind).

Cases failed before this revision get the kind their text shows, for the two kinds the console
acts on (a loose roster to attach, a file read whole that it may draw); every other old failure
keeps no kind, which the console treats as a file it must not open again.

Revision ID: 0017_failure_kinds
Revises: 0016_claims_history_ledger
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_failure_kinds"
down_revision = "0016_claims_history_ledger"
branch_labels = None
depends_on = None

# How those two failures' texts began before codes were stored (pipeline.errors at revision 0016).
_BEGAN = {"loose_roster": "收到的是名单附件", "not_a_letter": "该文件不是信用记录查询函"}


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("error_kind", sa.String(32), nullable=True))
    cases = sa.table("cases", sa.column("state"), sa.column("error"), sa.column("error_kind"))
    for kind, began in _BEGAN.items():
        op.execute(
            cases.update()
            .where(cases.c.state == "failed", cases.c.error.like(began + "%"))
            .values(error_kind=kind)
        )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("error_kind")
