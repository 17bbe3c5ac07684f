"""Storage: the database behind cases, credit-record lists and reply numbers.

`open_database(settings)` is the one entry point: it creates the SQLite file
privately (0600) when needed, applies every migration, and hands back a
session factory.
"""

from pipeline.storage.database import Database, open_database, write_transaction

__all__ = ["Database", "open_database", "write_transaction"]
