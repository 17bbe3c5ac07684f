"""The `letters` command: a thin shell over the library.

Every subcommand lives in its own module under pipeline/commands/ and
registers itself here. Expected failures (LettersError) become one Chinese
line on stderr and the error's exit code; anything else is logged and becomes
a generic Chinese line — never a traceback for the clerk.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from pipeline import __version__
from pipeline.errors import INTERNAL_ERROR_ZH, ExitCode, LettersError
from pipeline.privacy import mask_ids_in

log = logging.getLogger("pipeline")

# Modules under pipeline.commands, each with register(subparsers).
COMMANDS = (
    "extract",
    "records",
    "process",
    "watch",
    "cases",
    "status",
    "audit",
    "numbers",
    "review",
    "users",
    "objections",
    "spotchecks",
    "report",
    "web",
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or just one command's (start-up stays fast: `extract` never imports the database)."""
    from pipeline.commands import chinese

    chinese.install()  # usage, headings and usage errors in Chinese
    parser = argparse.ArgumentParser(
        prog="letters",
        description="信用查询函件自动办理：读取来函、核查失信名单、生成复函。",
    )
    parser.add_argument(
        "--version", action="version", version=f"letters {__version__}", help="显示版本号并退出"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="输出调试日志（英文，身份证号已脱敏）")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    import importlib

    for name in COMMANDS:
        if only is None or name == only:
            importlib.import_module(f"pipeline.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
        sys.stderr.reconfigure(encoding="utf-8")
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(first if first in COMMANDS else None)
    args = parser.parse_args(argv)
    from pipeline.logs import setup_logging

    setup_logging(verbose=args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitCode.USAGE
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # inside the try: a closed pipe is found here, not at interpreter exit
        return code
    except BrokenPipeError:  # `letters cases | head -1`: the reader has what it wanted
        _silence_stdout()
        return ExitCode.BROKEN_PIPE
    except LettersError as exc:
        log.warning("%s: %s", type(exc).__name__, exc)
        print(f"错误：{mask_ids_in(exc.message_zh)}", file=sys.stderr)
        hint = _command_for(exc)
        if hint:
            print(hint, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception as exc:  # the last line of defence: log it, never show a traceback to a clerk
        from pipeline.storage.database import explain_database_error

        known = explain_database_error(exc)
        if known is not None:  # busy or unreachable: the clerk can act on it
            log.warning("%s: %s", type(known).__name__, known)
            print(f"错误：{known.message_zh}", file=sys.stderr)
            return known.exit_code
        _log_to_file(args.verbose)
        log.exception("unexpected failure in %s", args.command)
        print(f"错误：{INTERNAL_ERROR_ZH}", file=sys.stderr)
        return ExitCode.INTERNAL


def _command_for(exc: LettersError) -> str | None:
    """The command that settles an error, for the person at the shell: the case core's messages say
    what to do, never in this edge's syntax."""
    from pipeline.errors import NumbersBehind, NumbersOrphaned

    if isinstance(exc, NumbersBehind | NumbersOrphaned):
        return "确认命令：letters numbers confirm --user 管理员用户名"
    return None


def _log_to_file(verbose: bool) -> None:
    """An internal error's traceback belongs in the log file the administrator reads (best effort)."""
    from pipeline.logs import setup_logging

    try:
        from pipeline.settings import load_settings

        settings = load_settings()
        setup_logging(verbose=verbose, log_file=settings.path(settings.log_file))
    except Exception:  # no settings here: stderr stays the only handler
        pass


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)
