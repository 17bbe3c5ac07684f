"""Alembic environment: always run programmatically with a live connection.

pipeline.storage.database.migrate() puts the connection into
config.attributes["connection"]; there is no alembic.ini and no offline mode.
"""

from __future__ import annotations

from alembic import context

from pipeline.storage.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - guarded for people running the alembic CLI by hand
    raise RuntimeError("run migrations through pipeline.storage.database.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs table copies for ALTER
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
