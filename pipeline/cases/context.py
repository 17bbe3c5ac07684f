"""Open what the clerk-facing commands need: settings, the migrated database, the work calendar."""

from __future__ import annotations

from dataclasses import dataclass

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


def open_context(settings: Settings | None = None) -> ServiceContext:
    settings = settings or load_settings()
    db = open_database(settings)
    return ServiceContext(settings, db, WorkCalendar(settings.holidays_path()))
