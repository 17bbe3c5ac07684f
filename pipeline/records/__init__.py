"""Credit-record lists: importing list files as snapshots, and reporting on them."""

from pipeline.records.importer import ImportResult, default_list_name, import_list
from pipeline.records.source import ListFileError
from pipeline.records.status import ListStatus, list_status

__all__ = ["ImportResult", "ListFileError", "ListStatus", "default_list_name", "import_list", "list_status"]
