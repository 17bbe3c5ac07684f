"""The office the running console serves (its settings, database and calendar)."""

from __future__ import annotations

from flask import current_app

from pipeline.cases.context import ServiceContext


def context() -> ServiceContext:
    return current_app.extensions["letters"]  # type: ignore[no-any-return]
