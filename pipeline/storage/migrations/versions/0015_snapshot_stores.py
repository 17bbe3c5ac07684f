"""Snapshot stores: each snapshot's records move out of the shared `records` table into a store of
their own (records/store.py), and a snapshot may be a delta layered on another (`base_id`).

Records of snapshots in force or held are copied into their stores; other snapshots' records were
already deleted by their imports. SQLite stores are files in `lists/` beside the database file.
Downgrading recreates an empty `records` table: the lists are then imported again.

Revision ID: 0015_snapshot_stores
Revises: 0014_case_crashes
Create Date: 2026-12-01
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0015_snapshot_stores"
down_revision = "0014_case_crashes"
branch_labels = None
depends_on = None

_COLUMNS = "line, name, name_key, id_number, masked, category, authority, doc_ref, listed_on, removed_on"
_CHUNK = 50_000


def _sqlite_store(conn: sa.Connection, snapshot_id: int, folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = folder / f"snapshot-{snapshot_id}.sqlite"
    part = final.with_name(final.name + ".part")
    part.unlink(missing_ok=True)
    os.close(os.open(part, os.O_CREAT | os.O_WRONLY, 0o600))
    store = sqlite3.connect(part, isolation_level=None)
    try:
        store.execute("PRAGMA journal_mode = OFF")
        store.execute(
            "CREATE TABLE records (id INTEGER PRIMARY KEY, line INTEGER NOT NULL, name TEXT NOT NULL, "
            "name_key TEXT NOT NULL, id_number TEXT NOT NULL, masked INTEGER NOT NULL, category TEXT, "
            "authority TEXT, doc_ref TEXT, listed_on TEXT, removed_on TEXT)"
        )
        store.execute("BEGIN")
        last = 0
        while True:
            rows = conn.execute(
                sa.text(
                    f"SELECT id, {_COLUMNS} FROM records WHERE snapshot_id = :s AND id > :last ORDER BY id LIMIT {_CHUNK}"
                ),
                {"s": snapshot_id, "last": last},
            ).all()
            if not rows:
                break
            last = rows[-1][0]
            store.executemany(  # the same record ids: the cases' references to them still hold
                f"INSERT INTO records (id, {_COLUMNS}) VALUES ({', '.join('?' * 11)})",
                [(*r[:5], 1 if r[5] else 0, *(None if v is None else str(v) for v in r[6:])) for r in rows],
            )
        store.execute("COMMIT")
        store.execute("CREATE INDEX ix_id_number ON records (id_number)")
        store.execute("CREATE INDEX ix_masked_name ON records (name_key, id_number) WHERE masked")
    finally:
        store.close()
    os.replace(part, final)


def upgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        batch.add_column(sa.Column("base_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_snapshots_base_id", "snapshots", ["base_id"], ["id"], ondelete="SET NULL"
        )
    conn = op.get_bind()
    wanted = [
        row[0]
        for row in conn.execute(
            sa.text("SELECT id FROM snapshots WHERE is_current OR staged_reason IS NOT NULL ORDER BY id")
        )
    ]
    if conn.dialect.name == "postgresql":
        for snapshot_id in wanted:
            table = f"list_records_{int(snapshot_id)}"
            conn.execute(
                sa.text(
                    f"CREATE TABLE {table} AS SELECT id, {_COLUMNS} FROM records WHERE snapshot_id = :s ORDER BY id"
                ),
                {"s": snapshot_id},
            )
            conn.execute(sa.text(f"ALTER TABLE {table} ADD PRIMARY KEY (id)"))
            conn.execute(sa.text(f"CREATE INDEX {table}_id_number ON {table} (id_number)"))
            conn.execute(
                sa.text(f"CREATE INDEX {table}_masked ON {table} (name_key, id_number) WHERE masked")
            )
    elif wanted:
        main = next(row[2] for row in conn.execute(sa.text("PRAGMA database_list")) if row[1] == "main")
        if not main:
            raise RuntimeError("list stores need a SQLite database file, not an in-memory database")
        for snapshot_id in wanted:
            _sqlite_store(conn, int(snapshot_id), Path(main).parent / "lists")
    op.drop_table("records")


def downgrade() -> None:
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
        sa.Column("category", sa.String(200)),
        sa.Column("authority", sa.String(200)),
        sa.Column("doc_ref", sa.String(200)),
        sa.Column("listed_on", sa.Date()),
        sa.Column("removed_on", sa.Date()),
    )
    op.create_index("ix_records_id_number", "records", ["id_number"])
    op.create_index(
        "ix_records_masked_name",
        "records",
        ["name_key"],
        sqlite_where=sa.text("masked"),
        postgresql_where=sa.text("masked"),
    )
    with op.batch_alter_table("snapshots") as batch:
        batch.drop_constraint("fk_snapshots_base_id", type_="foreignkey")
        batch.drop_column("base_id")
