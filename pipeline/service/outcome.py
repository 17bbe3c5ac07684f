"""The service's view of processing: the outcome type is pipeline.process's, under the name the
service has always used, plus the processor signature the watcher calls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.process import Decision
from pipeline.process import ProcessOutcome as ProcessResult

__all__ = ["Decision", "ProcessResult", "Processor"]

# (letter file, case id, staging folder) -> decision; outputs are written into the staging folder,
# and the service moves them to the outbox only after the decision is stored.
Processor = Callable[[Path, int, Path], ProcessResult]
