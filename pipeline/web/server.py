"""Serve the console with waitress (a production WSGI server), in its own thread."""

from __future__ import annotations

import threading

from pipeline.errors import ConfigError
from pipeline.settings import Settings


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(
            f"bad web_address {address!r}",
            f"web_address 应写作 主机:端口，例如 127.0.0.1:8080（现为 {address}）。",
        )
    return host or "127.0.0.1", int(port)


SEND_BYTES = 1  # see Console.__init__


class Console:
    """The console listening on `address`; start() returns once it accepts connections."""

    def __init__(self, settings: Settings, address: str | None = None) -> None:
        from waitress.server import create_server

        from pipeline.web.app import create_app

        host, port = parse_address(address or settings.web_address)
        self.app = create_app(settings)
        # send_bytes=1: waitress's loop finds a channel writable as soon as a response has bytes in its
        # buffer, but while the request's task is still running it only sends once send_bytes (18 kB)
        # are there; below that it does nothing and polls again at once, a core spinning for as long
        # as the task runs. Sending whatever is there ends the spin; the console is on a LAN, where a
        # few small packets cost nothing. (22 browser tests: 120 s of CPU before, 60 s after.)
        self.server = create_server(
            self.app, host=host, port=port, threads=4, ident="credit-letters", send_bytes=SEND_BYTES
        )
        self.url = f"http://{host}:{self.server.effective_port}/"  # type: ignore[union-attr]
        self.thread = threading.Thread(target=self.server.run, name="web-console", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.close()
        self.app.extensions["letters"].close()
