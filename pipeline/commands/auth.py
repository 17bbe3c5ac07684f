"""Who is at the keyboard: an account proved by its password (prompted, or read from stdin)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from typing import TYPE_CHECKING

from pipeline.errors import NotAllowed

if TYPE_CHECKING:  # the account store and the database load when someone signs in, not for --help
    from pipeline.cases.context import ServiceContext
    from pipeline.domain.roles import Account


def add_arguments(p: argparse.ArgumentParser, what: str, *, required: bool = True) -> None:
    """--user and --password-stdin; `required=False` where only one option of the command acts
    (`process --again`, `records import --confirm-shrink`), which then asks for --user itself."""
    p.add_argument(
        "--user", required=required, metavar="用户名", help=f"{what}的账号（用户名），随后输入密码"
    )
    p.add_argument(
        "--password-stdin", action="store_true", help="从标准输入读取密码（用于脚本；默认在终端中提示输入）"
    )


def read_password(args: argparse.Namespace, prompt: str = "密码：") -> str:
    """One password: a line of stdin with --password-stdin, else a prompt on the terminal."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise NotAllowed(
            "no terminal for the password prompt",
            "需要输入密码：请在终端中运行，或使用 --password-stdin 从标准输入提供密码。",
        )
    return getpass.getpass(prompt)


def sign_in(ctx: ServiceContext, args: argparse.Namespace) -> Account:
    """The account named by --user, once its password has been checked (failures are audited)."""
    from pipeline.accounts import authenticate

    if not getattr(args, "user", None):
        raise NotAllowed("no --user", "该操作须以具名账号登录：请加上 --user 用户名。")
    return authenticate(ctx.db.sessions, args.user, read_password(args), dt.datetime.now())
