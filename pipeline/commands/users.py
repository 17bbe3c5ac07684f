"""`letters users add|disable|enable|reset-password|list`: named accounts and their roles.

The first administrator is created from the command line when there is no
account yet; after that, every change is made by an administrator who signs
in with `--admin` and a password. There is never a default password.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass

from pipeline.commands.auth import read_password
from pipeline.domain.roles import Account, Role
from pipeline.errors import InvalidRequest, NotAllowed

ROLES_HELP = "、".join(f"{r.value}（{r.label_zh}）" for r in Role)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "users", help="账号管理：新增、停用、重置密码、列出", description="管理具名账号及其角色。"
    )
    inner = p.add_subparsers(dest="users_command", metavar="子命令", required=True)
    a = inner.add_parser("add", help="新增账号（第一个账号须为管理员）", description="新增账号并设置密码。")
    a.add_argument("login", help="用户名（小写字母、数字、点、横线、下划线）")
    a.add_argument("--name", required=True, help="姓名")
    a.add_argument("--role", action="append", required=True, help=f"角色，可重复：{ROLES_HELP}")
    _admin(a)
    a.set_defaults(func=run_add)
    for name, help_zh, func in (
        ("disable", "停用账号", run_disable),
        ("enable", "重新启用账号", run_enable),
        ("reset-password", "重置账号密码", run_reset),
    ):
        c = inner.add_parser(name, help=help_zh, description=help_zh + "（须由管理员操作）。")
        c.add_argument("login", help="用户名")
        if name == "disable":
            c.add_argument("--reason", required=True, help="停用原因（记入审计日志），例如：调离岗位")
        _admin(c)
        c.set_defaults(func=func)
    ls = inner.add_parser(
        "list", help="列出账号", description="列出所有账号及其角色、状态（须由管理员操作）。"
    )
    _admin(ls)
    ls.set_defaults(func=run_list)


def _admin(p: argparse.ArgumentParser) -> None:
    p.add_argument("--admin", metavar="用户名", help="执行操作的管理员账号（尚无任何账号时可省略）")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="从标准输入读取密码：先是管理员密码（如有 --admin），再是新密码（add、reset-password）",
    )


def _secret(args: argparse.Namespace, prompt: str, *, twice: bool = False) -> str:
    first = read_password(args, prompt)
    if twice and not args.password_stdin and getpass.getpass("再次输入：") != first:
        raise InvalidRequest("passwords differ", "两次输入的密码不一致。")
    return first


def _admin_signed_in(ctx, args: argparse.Namespace) -> Account | None:  # type: ignore[no-untyped-def]
    """The administrator named by --admin, after the password; None without --admin (only the very
    first account may be made so: the case core decides)."""
    from pipeline import accounts

    if not args.admin:
        return None
    return accounts.authenticate(
        ctx.db.sessions, args.admin, _secret(args, "管理员密码："), dt.datetime.now()
    )


def _required(account: Account | None) -> Account:
    if account is None:
        raise NotAllowed("no --admin", "请用 --admin 指定执行操作的管理员账号。")
    return account


def run_add(args: argparse.Namespace) -> int:
    from pipeline.cases import staff
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        by = _admin_signed_in(ctx, args)
        if by is None and not staff.first_account_needed(ctx):
            raise NotAllowed("no --admin", "请用 --admin 指定执行操作的管理员账号。")
        password = _secret(args, f"{args.login} 的密码：", twice=True)
        account = staff.add(ctx, by, args.login, args.name, args.role, password)
        roles = "、".join(r.label_zh for r in sorted(account.roles))
        print(f"已新增账号 {account.signature}，角色：{roles}。")
        return 0


def run_disable(args: argparse.Namespace) -> int:
    from pipeline.cases import staff
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        staff.set_disabled(ctx, _required(_admin_signed_in(ctx, args)), args.login, True, args.reason or "")
    print(f"已停用账号 {args.login}。")
    return 0


def run_enable(args: argparse.Namespace) -> int:
    from pipeline.cases import staff
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        staff.set_disabled(ctx, _required(_admin_signed_in(ctx, args)), args.login, False)
    print(f"已启用账号 {args.login}。")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    from pipeline.cases import staff
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        by = _required(_admin_signed_in(ctx, args))
        staff.reset_password(ctx, by, args.login, _secret(args, f"{args.login} 的新密码：", twice=True))
    print(f"已重置账号 {args.login} 的密码。")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from pipeline.cases import staff
    from pipeline.cases.context import open_context

    with open_context() as ctx:
        if staff.first_account_needed(ctx):
            print("尚无账号。请先新增管理员：letters users add 用户名 --name 姓名 --role admin")
            return 0
        rows = staff.listing(ctx, _required(_admin_signed_in(ctx, args)))
        for account, disabled, last in rows:
            roles = "、".join(r.label_zh for r in sorted(account.roles))
            state = "已停用" if disabled else "正常"
            seen = f"{last:%Y-%m-%d %H:%M}" if last else "从未登录"
            print(f"{account.login:<16} {account.name:<8} {roles:<12} {state}  最近登录：{seen}")
        return 0
