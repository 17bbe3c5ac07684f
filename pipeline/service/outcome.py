"""What processing one letter decided, as the service stores and publishes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Decision = Literal["replied", "waiting_review", "failed"]


@dataclass(slots=True)
class ProcessResult:
    """The typed outcome of read → extract → check → reply for one case.

    `outputs` are finished files written into the staging folder the
    service handed over (kind -> path); the service moves them to the outbox
    only after the decision is stored, so a crash never publishes twice.
    """

    state: Decision
    reasons: list[str] = field(default_factory=list)  # Chinese: why a clerk must look
    error: str | None = None  # Chinese: why it failed
    reply_doc_number: str | None = None
    outputs: dict[str, Path] = field(default_factory=dict)
    kind: str | None = None
    unit: str | None = None
    doc_number: str | None = None
    letter_json: dict[str, Any] | None = None
    check_json: dict[str, Any] | None = None


# (letter file, case id, staging folder) -> decision
Processor = Callable[[Path, int, Path], ProcessResult]
