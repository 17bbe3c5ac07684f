"""`letters web [--address HOST:PORT]`: the clerks' web console on its own (`letters watch --web` runs both)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from pipeline.logs import setup_logging
from pipeline.settings import load_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "web", help="启动网页办理界面（Ctrl-C 停止）", description="启动工作人员使用的网页办理界面。"
    )
    p.add_argument("--address", help="监听地址，如 127.0.0.1:8080（默认取配置 web_address）")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.web.server import Console

    settings = load_settings()
    setup_logging(verbose=args.verbose, log_file=settings.path(settings.log_file))
    console = Console(settings, args.address)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.start()
    print(f"网页办理界面：{console.url}（按 Ctrl-C 停止）", file=sys.stderr, flush=True)
    stop.wait()
    console.stop()
    return 0
