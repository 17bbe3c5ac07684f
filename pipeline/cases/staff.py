"""Named accounts, managed by an administrator (专人管理、分级授权): who may change whom, decided once.

The accounts store (pipeline.accounts) keeps hashes, lockouts and sessions; the rules of who may
add, disable or reset an account, and the one exception (the very first account, made when there
is none, must be an administrator), live here, so the console and `letters users` cannot differ.
"""

from __future__ import annotations

import datetime as dt

from pipeline import accounts
from pipeline.cases.context import ServiceContext
from pipeline.cases.reads import Read, require_read
from pipeline.domain.bounds import Typed, bounded
from pipeline.domain.roles import Account, Role
from pipeline.errors import InvalidRequest, NotAllowed
from pipeline.storage import write_transaction

FIRST = "初始化"  # the actor recorded for the first account, made before anyone can sign in


def _admin(by: Account) -> str:
    if not by.has(Role.ADMIN):
        raise NotAllowed(f"{by.login} is no admin", f"{by.signature}没有管理员角色，不能管理账号。")
    return by.signature


def add(
    ctx: ServiceContext, by: Account | None, login: str, name: str, roles: list[str], password: str,
    now: dt.datetime | None = None,
) -> Account:  # fmt: skip
    """A new account, made by a signed-in administrator; `by` None only for the first account."""
    now = now or dt.datetime.now()  # the name is checked and bounded by the accounts store (actor_name)
    with write_transaction(ctx.db.sessions) as session:
        if by is not None:
            actor = _admin(by)
        elif accounts.has_accounts(session):
            raise NotAllowed("no administrator signed in", "请以管理员账号登录后再新增账号。")
        elif Role.ADMIN.value not in roles:
            raise InvalidRequest("first account must be admin", "第一个账号必须具有管理员角色。")
        else:
            actor = FIRST
        return accounts.add_account(session, login, name, roles, password, by=actor, now=now)


def first_account_needed(ctx: ServiceContext) -> bool:
    """No account exists yet: the next `add` may be made without signing in."""
    with ctx.db.sessions() as session:
        return not accounts.has_accounts(session)


def set_disabled(
    ctx: ServiceContext,
    by: Account,
    login: str,
    disabled: bool,
    reason: str = "",
    now: dt.datetime | None = None,
) -> None:
    """停用 / 启用. Disabling says why (audited): it ends the person's work at once. An administrator
    never disables their own account: nobody could undo it."""
    actor = _admin(by)
    reason = bounded(" ".join(reason.split()), Typed.REASON)
    if disabled and login.strip().lower() == by.login:
        raise InvalidRequest("disabling oneself", "不能停用自己正在使用的账号。")
    if disabled and not reason:
        raise InvalidRequest("disable without a reason", "停用账号须写明原因（例如：调离岗位）。")
    with write_transaction(ctx.db.sessions) as session:
        accounts.set_disabled(session, login, disabled, by=actor, now=now or dt.datetime.now(), reason=reason)


def reset_password(
    ctx: ServiceContext, by: Account, login: str, password: str, now: dt.datetime | None = None
) -> None:
    actor = _admin(by)
    with write_transaction(ctx.db.sessions) as session:
        accounts.reset_password(session, login, password, by=actor, now=now or dt.datetime.now())


def listing(ctx: ServiceContext, viewer: Account) -> list[tuple[Account, bool, dt.datetime | None]]:
    """(account, disabled, last sign-in), by login; for administrators."""
    require_read(viewer, Read.ACCOUNTS)
    with ctx.db.sessions() as session:
        return accounts.list_accounts(session)
