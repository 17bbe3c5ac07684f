"""Accounts in the database, and the password check with its lockout."""

from __future__ import annotations

import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.accounts.sessions import Ended, end_all
from pipeline.domain.actor import actor_name
from pipeline.domain.roles import Account, Role
from pipeline.errors import AuthenticationFailed, InvalidRequest, NotAllowed
from pipeline.storage import audit, write_transaction
from pipeline.storage.case_models import UserAccount

LOCK_AFTER = 5  # wrong passwords in a row
LOCK_MINUTES = 15
MIN_PASSWORD = 10
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY: str | None = None  # unknown logins cost as much as known ones (hashed at first need, not import)


def _dummy() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = _HASHER.hash("never a real password")
    return _DUMMY


def _account(row: UserAccount) -> Account:
    return Account(row.login, row.name, frozenset(Role(r) for r in row.roles))


def _roles(roles: list[str]) -> list[str]:
    try:
        parsed = sorted({Role(r.strip()) for r in roles if r.strip()})
    except ValueError:
        raise InvalidRequest(
            f"unknown role in {roles}",
            "角色只能是：" + "、".join(f"{r.value}（{r.label_zh}）" for r in Role),
        ) from None
    if not parsed:
        raise InvalidRequest("no role", "请至少指定一个角色。")
    return [r.value for r in parsed]


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest("password too short", f"密码至少{MIN_PASSWORD}个字符。")


def has_accounts(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(UserAccount)))


def add_account(
    session: Session, login: str, name: str, roles: list[str], password: str, *, by: str, now: dt.datetime
) -> Account:
    """A new account; `by` is the administrator's signature (or 初始化 for the first one)."""
    login = login.strip().lower()
    if not _LOGIN.match(login):
        raise InvalidRequest(
            f"bad login {login!r}", "用户名只能由2至32个小写字母、数字、点、横线或下划线组成。"
        )
    name = actor_name(name)
    _check_password(password)
    if session.scalar(select(UserAccount).where(UserAccount.login == login)) is not None:
        raise InvalidRequest(f"login {login} exists", f"用户名 {login} 已存在。")
    row = UserAccount(
        login=login, name=name, password_hash=_HASHER.hash(password), roles=_roles(roles), disabled=False,
        created_at=now, password_changed_at=now, failed_logins=0,
    )  # fmt: skip
    session.add(row)
    account = _account(row)
    labels = "、".join(Role(r).label_zh for r in row.roles)
    audit.append(session, actor=by, case_id=None, from_state=None, to_state=None,
                 reason=f"新增账号：{account.signature}，角色：{labels}", at=now)  # fmt: skip
    return account


def _row(session: Session, login: str) -> UserAccount:
    row = session.scalar(select(UserAccount).where(UserAccount.login == login.strip().lower()))
    if row is None:
        raise InvalidRequest(f"no account {login}", f"找不到账号：{login}")
    return row


def set_disabled(
    session: Session, login: str, disabled: bool, *, by: str, now: dt.datetime, reason: str = ""
) -> None:
    row = _row(session, login)
    row.disabled = disabled
    if disabled:  # every console session of the account ends now; enabling it again revives none
        end_all(session, row.login, Ended.DISABLED, now)
    what = "停用账号" if disabled else "启用账号"
    why = f"（原因：{reason}）" if reason else ""
    audit.append(session, actor=by, case_id=None, from_state=None, to_state=None,
                 reason=f"{what}：{_account(row).signature}{why}", at=now)  # fmt: skip


def reset_password(session: Session, login: str, password: str, *, by: str, now: dt.datetime) -> None:
    _check_password(password)
    row = _row(session, login)
    row.password_hash = _HASHER.hash(password)
    row.password_changed_at = now
    row.failed_logins, row.locked_until = 0, None
    end_all(session, row.login, Ended.PASSWORD_RESET, now)  # whoever knew the old password is out
    audit.append(session, actor=by, case_id=None, from_state=None, to_state=None,
                 reason=f"重置密码：{_account(row).signature}", at=now)  # fmt: skip


def get_account(session: Session, login: str) -> Account | None:
    """The account of a signed-in session, while it may still sign in (not disabled)."""
    row = session.scalar(select(UserAccount).where(UserAccount.login == login))
    return _account(row) if row is not None and not row.disabled else None


def list_accounts(session: Session) -> list[tuple[Account, bool, dt.datetime | None]]:
    """(account, disabled, last login), by login."""
    rows = session.scalars(select(UserAccount).order_by(UserAccount.login))
    return [(_account(r), r.disabled, r.last_login_at) for r in rows]


def authenticate(sessions: sessionmaker[Session], login: str, password: str, now: dt.datetime) -> Account:
    """The account, if the password is right and the account may log in; else AuthenticationFailed
    (one wording for a wrong login and a wrong password) or NotAllowed (disabled, locked). A
    failure is counted and audited before it is raised."""
    with write_transaction(sessions) as session:
        result = _check(session, login, password, now)
    if isinstance(result, NotAllowed):
        raise result
    return result


def _check(session: Session, login: str, password: str, now: dt.datetime) -> Account | NotAllowed:
    row = session.scalar(select(UserAccount).where(UserAccount.login == login.strip().lower()))
    if row is None:
        _verify(_dummy(), password)
        audit.append(session, actor=audit.SERVICE, case_id=None, from_state=None, to_state=None,
                     reason=f"登录失败：账号不存在（{login.strip()[:40]}）", at=now)  # fmt: skip
        return AuthenticationFailed(f"login failed: no account {login!r}")
    if row.locked_until is not None and row.locked_until > now:
        raise NotAllowed(
            f"account {row.login} locked",
            f"密码连续输错{LOCK_AFTER}次，账号已锁定，请于{row.locked_until:%H:%M}后再试。",
        )
    if not _verify(row.password_hash, password):
        row.failed_logins += 1
        locked = row.failed_logins >= LOCK_AFTER
        if locked:
            row.locked_until, row.failed_logins = now + dt.timedelta(minutes=LOCK_MINUTES), 0
        audit.append(session, actor=audit.SERVICE, case_id=None, from_state=None, to_state=None,
                     reason=f"登录失败：密码错误（{_account(row).signature}）" + ("，账号已锁定" if locked else ""),
                     at=now)  # fmt: skip
        return AuthenticationFailed(f"login failed: wrong password for {row.login}")
    if row.disabled:
        return NotAllowed(f"account {row.login} disabled", "该账号已停用，请联系管理员。")
    row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
    if _HASHER.check_needs_rehash(row.password_hash):
        row.password_hash = _HASHER.hash(password)
    return _account(row)


def _verify(digest: str, password: str) -> bool:
    try:
        return _HASHER.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False
