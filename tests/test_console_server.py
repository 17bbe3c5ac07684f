"""The console's waitress server stops whole: its loop thread and its request threads end."""

from __future__ import annotations

import http.client
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.review_office import open_office


def test_a_stopped_console_leaves_no_thread_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: Console.stop closed only the listening socket. The loop ran on over a browser's
    kept-alive connection, and a loop over closed sockets spins: three stopped consoles took 180 s
    of one test worker's CPU, and `letters web` spun the same way between its stop and its exit."""
    from pipeline.web.server import Console

    ctx, _ = open_office(tmp_path, monkeypatch, lambda ctx, base: None)
    before = set(threading.enumerate())
    console = Console(ctx.settings, "127.0.0.1:0")
    console.start()
    address = urlsplit(console.url)
    browser = http.client.HTTPConnection(address.hostname or "", address.port)
    browser.request("GET", "/login")
    assert browser.getresponse().read()  # answered, and the connection stays open (HTTP/1.1)
    try:
        console.stop()
        assert not console.thread.is_alive()
        assert sorted(t.name for t in set(threading.enumerate()) - before) == []
    finally:
        browser.close()
        ctx.close()
