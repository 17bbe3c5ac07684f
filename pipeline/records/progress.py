"""A plain progress bar on stderr, for imports that take more than a moment."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class ProgressBar:
    """Callable as progress(done, total); redraws at most a few times a second."""

    def __init__(self, label: str, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self.last_draw < 0.2:
            return
        self.last_draw = now
        share = min(done / total, 1.0) if total else 1.0
        filled = int(share * WIDTH)
        bar = "█" * filled + "·" * (WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {share:4.0%}  {now - self.started:5.1f} 秒")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.enabled and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
