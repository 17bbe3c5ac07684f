"""Credit-record lists: importing list files as snapshots, and reporting on them."""

from pipeline.errors import ListFileError, ListSnapshotHeld
from pipeline.records.importer import Confirmation, ImportResult, default_list_name, import_list
from pipeline.records.status import ListStatus, list_status

__all__ = [
    "Confirmation",
    "ImportResult",
    "ListFileError",
    "ListSnapshotHeld",
    "ListStatus",
    "default_list_name",
    "import_list",
    "list_status",
]
