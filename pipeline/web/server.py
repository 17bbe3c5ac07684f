"""Serve the console with waitress (a production WSGI server), in its own thread."""

from __future__ import annotations

import logging
import threading
from typing import Any

from pipeline.errors import ConfigError
from pipeline.settings import Settings

log = logging.getLogger("pipeline.web.server")


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(
            f"bad web_address {address!r}",
            f"web_address 应写作 主机:端口，例如 127.0.0.1:8080（现为 {address}）。",
        )
    return host or "127.0.0.1", int(port)


class Console:
    """The console listening on `address`; start() returns once it accepts connections."""

    def __init__(self, settings: Settings, address: str | None = None) -> None:
        from waitress.server import create_server

        from pipeline.web.app import create_app

        host, port = parse_address(address or settings.web_address)
        # waitress warns "Task queue depth is N" whenever requests wait for a thread; the console's
        # heavy requests take turns on purpose (pipeline.web.heavy), so that is no news to a clerk.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        self.app = create_app(settings)
        self.server = create_server(self.app, host=host, port=port, threads=4, ident="credit-letters")
        self.url = f"http://{host}:{self.server.effective_port}/"  # type: ignore[union-attr]
        self.thread = threading.Thread(target=self.server.run, name="web-console", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving: the loop's thread ends, its request threads end, the database closes.

        Closing only the listening socket (waitress's server.close()) from another thread left
        the loop running over the channels still open, and a loop over closed sockets spins:
        three stopped consoles took 180 s of one test worker's CPU. So everything in the loop's
        map is closed by the loop's own thread (a trigger thunk, waitress's way of reaching it),
        which then finds its map empty and returns.
        """
        from waitress import wasyncore

        server: Any = self.server
        sockets = server.map if hasattr(server, "map") else server._map  # several sockets, or one
        if self.thread.is_alive():
            waker = next(x for x in list(sockets.values()) if hasattr(x, "pull_trigger"))
            waker.pull_trigger(lambda: wasyncore.close_all(sockets, ignore_all=True))
            self.thread.join(timeout)
            if self.thread.is_alive():
                log.warning("the console's server loop did not stop within %.0f s", timeout)
        else:
            wasyncore.close_all(sockets, ignore_all=True)
        server.task_dispatcher.shutdown(timeout=timeout)
        self.app.extensions["letters"].close()
