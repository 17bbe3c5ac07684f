"""Sign-in failures per client address: past a limit the address waits, before any password is
checked (a guesser spreading tries over many accounts passes each account's own lockout)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict, deque

FAILURES = 20  # wrong sign-ins from one address ...
WINDOW = dt.timedelta(minutes=10)  # ... within this long, and the address waits out the window


class Throttle:
    def __init__(self, failures: int = FAILURES, window: dt.timedelta = WINDOW) -> None:
        self.failures, self.window = failures, window
        self._seen: dict[str, deque[dt.datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, address: str, now: dt.datetime) -> deque[dt.datetime]:
        seen = self._seen[address]
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if not seen:
            del self._seen[address]  # memory stays bounded by addresses failing right now
            return deque()
        return seen

    def blocked_until(self, address: str, now: dt.datetime) -> dt.datetime | None:
        with self._lock:
            seen = self._recent(address, now)
            return seen[0] + self.window if len(seen) >= self.failures else None

    def failed(self, address: str, now: dt.datetime) -> bool:
        """Count a failure; True when this one reaches the limit (log it once)."""
        with self._lock:
            seen = self._recent(address, now)
            seen.append(now)
            self._seen[address] = seen
            return len(seen) == self.failures
