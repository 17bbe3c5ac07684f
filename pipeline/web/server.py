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


class Console:
    """The console listening on `address`; start() returns once it accepts connections."""

    def __init__(self, settings: Settings, address: str | None = None) -> None:
        from waitress.server import create_server

        from pipeline.web.app import create_app

        host, port = parse_address(address or settings.web_address)
        self.app = create_app(settings)
        self.server = create_server(self.app, host=host, port=port, threads=4, ident="credit-letters")
        self.url = f"http://{host}:{self.server.effective_port}/"  # type: ignore[union-attr]
        self.thread = threading.Thread(target=self.server.run, name="web-console", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.close()
        self.app.extensions["letters"].close()
