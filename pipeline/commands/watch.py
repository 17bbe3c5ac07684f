"""`letters watch [--poll]`: the watched inbox service (README's run command)."""

from __future__ import annotations

import argparse
import sys

from pipeline.logs import setup_logging
from pipeline.settings import load_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "watch",
        help="监视收件箱，自动办理放入的来函（Ctrl-C 停止）",
        description="监视收件箱文件夹：每封放入的来函办理一次，复函写入发件箱，需人工复核的留待复核。",
    )
    p.add_argument(
        "--poll", action="store_true", default=None, help="轮询模式（收件箱在网络共享盘 SMB/NFS 上时使用）"
    )
    p.add_argument("--workers", type=int, default=None, help="同时办理的来函数（默认取配置 workers）")
    p.add_argument("--web", action="store_true", help="同时启动网页办理界面（地址取配置 web_address）")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.inbox.run import Service, run_forever

    settings = load_settings(workers=args.workers, poll=args.poll)
    setup_logging(verbose=args.verbose, log_file=settings.path(settings.log_file))
    service = Service(settings)
    console = None
    if args.web:
        from pipeline.web.server import Console

        console = Console(settings)

    def ready() -> None:
        if console is not None:
            console.start()
            print(f"网页办理界面：{console.url}", file=sys.stderr, flush=True)
        mode = "轮询" if service.poll else "文件事件"
        print(
            f"正在监视收件箱 {settings.path(settings.inbox).resolve()}（{mode}模式，{settings.workers}个并行处理）。"
            "按 Ctrl-C 停止，手头的来函会先办完。",
            file=sys.stderr,
            flush=True,
        )

    try:
        code = run_forever(service, on_ready=ready)
    finally:
        if console is not None:
            console.stop()
    print("服务已停止。", file=sys.stderr)
    return code
