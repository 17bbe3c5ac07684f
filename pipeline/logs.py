"""Logging: English, structured (JSON lines), and never a full ID number."""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import time
from pathlib import Path

from pipeline.privacy import mask_ids_in, printable


class MaskingJsonFormatter(logging.Formatter):
    """One JSON object per line; every 18-digit ID in the message masked."""

    def format(self, record: logging.LogRecord) -> str:
        message = mask_ids_in(printable(record.getMessage()))
        data = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
        }
        for key in ("case", "file", "event"):
            if hasattr(record, key):
                data[key] = mask_ids_in(printable(str(getattr(record, key))))
        if record.exc_info:
            data["exception"] = mask_ids_in(printable(self.formatException(record.exc_info)))
        return json.dumps(data, ensure_ascii=False)


def setup_logging(*, verbose: bool = False, log_file: Path | None = None) -> None:
    """stderr gets warnings (or debug with -v); the optional log file gets everything, rotated."""
    root = logging.getLogger("pipeline")
    root.handlers.clear()
    root.setLevel(logging.DEBUG)
    root.propagate = False
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.DEBUG if verbose else logging.CRITICAL)
    stderr.setFormatter(MaskingJsonFormatter())
    root.addHandler(stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=10_000_000, backupCount=10, encoding="utf-8"
        )
        handler.setFormatter(MaskingJsonFormatter())
        handler.setLevel(logging.INFO)
        root.addHandler(handler)
