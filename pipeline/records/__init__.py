"""Credit-record lists: importing list files as snapshots, and reporting on them.

The names below load on first use: the parsing helper process imports this package for its
parsing modules alone, and stays small without the importer's SQLAlchemy and settings.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.errors import ListFileError, ListSnapshotHeld
    from pipeline.records.importer import import_list
    from pipeline.records.results import Confirmation, ImportResult, default_list_name, is_delta_file
    from pipeline.records.status import ListStatus, list_status

_HOMES = {
    "ListFileError": "pipeline.errors",
    "ListSnapshotHeld": "pipeline.errors",
    "Confirmation": "pipeline.records.results",
    "ImportResult": "pipeline.records.results",
    "default_list_name": "pipeline.records.results",
    "import_list": "pipeline.records.importer",
    "is_delta_file": "pipeline.records.results",
    "ListStatus": "pipeline.records.status",
    "list_status": "pipeline.records.status",
}

__all__ = [
    "Confirmation",
    "ImportResult",
    "ListFileError",
    "ListSnapshotHeld",
    "ListStatus",
    "default_list_name",
    "import_list",
    "is_delta_file",
    "list_status",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
