"""Initial schema: credit lists, snapshots, records, reply numbers, cases.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-28

Keep this migration stable once committed: later changes go into new revisions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

CASE_STATES = ("received", "processing", "replied", "waiting_review", "failed", "duplicate")


def upgrade() -> None:
    op.create_table(
        "credit_lists",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("name", name="uq_credit_lists_name"),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "list_id",
            sa.Integer(),
            sa.ForeignKey("credit_lists.id", ondelete="CASCADE", name="fk_snapshots_list_id"),
            nullable=False,
        ),
        sa.Column("source_file", sa.String(1000), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("rows_masked", sa.Integer(), nullable=False),
        sa.Column("rejected_report", sa.String(1000), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_snapshots_list_current", "snapshots", ["list_id", "is_current"])
    op.create_index("ix_snapshots_list_sha256", "snapshots", ["list_id", "sha256"])
    op.create_table(
        "records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column(
            "snapshot_id",
            sa.Integer(),
            sa.ForeignKey("snapshots.id", ondelete="CASCADE", name="fk_records_snapshot_id"),
            nullable=False,
        ),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(200), nullable=True),
        sa.Column("authority", sa.String(200), nullable=True),
        sa.Column("doc_ref", sa.String(200), nullable=True),
        sa.Column("listed_on", sa.Date(), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
    )
    op.create_index("ix_records_id_number", "records", ["id_number"])
    op.create_index("ix_records_snapshot", "records", ["snapshot_id"])
    op.create_index(
        "ix_records_masked_name",
        "records",
        ["name_key"],
        sqlite_where=sa.text("masked"),
        postgresql_where=sa.text("masked"),
    )
    op.create_table(
        "reply_counters",
        sa.Column("prefix", sa.String(100), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last_number", sa.Integer(), nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("original_name", sa.String(1000), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=True),
        sa.Column("unit", sa.String(200), nullable=True),
        sa.Column("doc_number", sa.String(200), nullable=True),
        sa.Column("letter_json", sa.JSON(), nullable=True),
        sa.Column("check_json", sa.JSON(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("reply_doc_number", sa.String(200), nullable=True),
        sa.Column("outputs", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "state IN ({})".format(", ".join(f"'{s}'" for s in CASE_STATES)), name="ck_cases_state"
        ),
    )
    op.create_index("ix_cases_sha256", "cases", ["file_sha256"])
    op.create_index("ix_cases_state", "cases", ["state"])
    op.create_table(
        "reply_numbers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("prefix", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("doc_number", sa.String(200), nullable=False),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("cases.id", ondelete="SET NULL", name="fk_reply_numbers_case_id"),
            nullable=True,
        ),
        sa.Column("allocated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("prefix", "year", "number", name="uq_reply_numbers_number"),
        sa.UniqueConstraint("doc_number", name="uq_reply_numbers_doc_number"),
    )


def downgrade() -> None:
    op.drop_table("reply_numbers")
    op.drop_index("ix_cases_state", "cases")
    op.drop_index("ix_cases_sha256", "cases")
    op.drop_table("cases")
    op.drop_table("reply_counters")
    op.drop_index("ix_records_masked_name", "records")
    op.drop_index("ix_records_snapshot", "records")
    op.drop_index("ix_records_id_number", "records")
    op.drop_table("records")
    op.drop_index("ix_snapshots_list_sha256", "snapshots")
    op.drop_index("ix_snapshots_list_current", "snapshots")
    op.drop_table("snapshots")
    op.drop_table("credit_lists")
