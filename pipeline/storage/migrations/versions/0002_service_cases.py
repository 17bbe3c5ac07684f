"""The watched-inbox service: case tracking and claims, delays, audit chain, instances.

Revision ID: 0002_service_cases
Revises: 0001_initial
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_service_cases"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "case_tracking",
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("cases.id", ondelete="CASCADE", name="fk_case_tracking_case_id"),
            primary_key=True,
        ),
        sa.Column("claim_key", sa.String(64), nullable=True),
        sa.Column("source_path", sa.String(1000), nullable=False),
        sa.Column("owner", sa.String(100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retry_after", sa.DateTime(), nullable=True),
        sa.Column("archive_path", sa.String(1000), nullable=True),
        sa.Column("inbox_cleared_at", sa.DateTime(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column(
            "duplicate_of",
            sa.Integer(),
            sa.ForeignKey("cases.id", ondelete="SET NULL", name="fk_case_tracking_duplicate_of"),
            nullable=True,
        ),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("parked_path", sa.String(1000), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("corrected_by", sa.String(100), nullable=True),
        sa.UniqueConstraint("claim_key", name="uq_case_tracking_claim_key"),
    )
    op.create_index("ix_case_tracking_owner", "case_tracking", ["owner"])
    op.create_table(
        "case_delays",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("cases.id", ondelete="CASCADE", name="fk_case_delays_case_id"),
            nullable=False,
        ),
        sa.Column("new_due_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_case_delays_case_id", "case_delays", ["case_id"])
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_events_case_id", "audit_events", ["case_id"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.execute(sa.text(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS}')"))
    op.create_table(
        "service_instances",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("inbox", sa.String(1000), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("service_instances")
    op.drop_table("audit_head")
    op.drop_index("ix_audit_events_case_id", "audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_case_delays_case_id", "case_delays")
    op.drop_table("case_delays")
    op.drop_index("ix_case_tracking_owner", "case_tracking")
    op.drop_table("case_tracking")
