"""Open what the clerk-facing commands need: settings, the migrated database, the work calendar."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.reading.legacy import use_cache_folder
from pipeline.settings import Settings, load_settings
from pipeline.storage import Database, open_database
from pipeline.storage import case_models as _models  # noqa: F401  (registers the service tables)
from pipeline.workdays import WorkCalendar


@dataclass(slots=True)
class ServiceContext:
    settings: Settings
    db: Database
    calendar: WorkCalendar

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> ServiceContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_context(settings: Settings | None = None) -> ServiceContext:
    """Settings, the migrated database and the calendar; use as `with open_context() as ctx:` so the
    database's connections are closed however the command ends."""
    settings = settings or load_settings()
    use_cache_folder(settings.convert_cache_path())  # the console converts originals to show them
    db = open_database(settings)
    return ServiceContext(settings, db, WorkCalendar(settings.holidays_path()))
