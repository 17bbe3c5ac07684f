"""Console sessions held on the server (pipeline.accounts.sessions): ended by logout, a password
reset, disabling the account, or the idle and absolute timeouts.

Revision ID: 0018_web_sessions
Revises: 0017_failure_kinds
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_web_sessions"
down_revision = "0017_failure_kinds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_why", sa.String(40), nullable=True),
    )
    op.create_index("ix_web_sessions_login", "web_sessions", ["login"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_login", "web_sessions")
    op.drop_table("web_sessions")
