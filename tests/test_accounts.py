"""Named accounts: argon2 hashes, one wording for a wrong login, lockout, disabled accounts, audit."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from pipeline.accounts import (
    LOCK_AFTER,
    add_account,
    authenticate,
    list_accounts,
    reset_password,
    set_disabled,
)
from pipeline.cli import main
from pipeline.domain.roles import Role
from pipeline.errors import AuthenticationFailed, InvalidRequest, NotAllowed
from pipeline.storage import Database, audit, write_transaction
from pipeline.storage.case_models import UserAccount

pytest_plugins = ["tests.db_backends"]

NOW = dt.datetime(2026, 6, 4, 10, 0)
PW = "a long enough password"


def add(db: Database, login: str = "wangfang", roles: tuple[str, ...] = ("clerk",)) -> None:
    with write_transaction(db.sessions) as s:
        add_account(s, login, "王芳", list(roles), PW, by="初始化", now=NOW)


@pytest.mark.production_hasher
def test_passwords_are_argon2_hashes_and_checked(db: Database) -> None:
    """At the cost the service runs with (argon2-cffi's recommended parameters); the other tests
    hash cheaply (tests/conftest.py)."""
    import argon2

    add(db)
    with db.sessions() as s:
        row = s.query(UserAccount).one()
    assert row.password_hash.startswith("$argon2id$") and PW not in row.password_hash
    used = argon2.extract_parameters(row.password_hash)
    recommended = argon2.profiles.get_default_parameters()
    assert (used.time_cost, used.memory_cost, used.parallelism) == (
        recommended.time_cost, recommended.memory_cost, recommended.parallelism,
    )  # fmt: skip
    account = authenticate(db.sessions, "WangFang ", PW, NOW)
    assert account.signature == "王芳（wangfang）" and account.roles == frozenset({Role.CLERK})


def test_a_wrong_login_and_a_wrong_password_read_the_same_and_are_audited(db: Database) -> None:
    add(db)
    with pytest.raises(AuthenticationFailed) as unknown:
        authenticate(db.sessions, "nobody", PW, NOW)
    with pytest.raises(AuthenticationFailed) as wrong:
        authenticate(db.sessions, "wangfang", "not it at all", NOW)
    assert unknown.value.message_zh == wrong.value.message_zh == "用户名或密码错误。"
    with db.sessions() as s:
        reasons = [e.reason for e in audit.events_for(s, None)]
    assert any("登录失败：账号不存在" in r for r in reasons) and any(
        "密码错误（王芳（wangfang））" in r for r in reasons
    )
    assert PW not in "".join(reasons) and "not it at all" not in "".join(reasons)


def test_five_wrong_passwords_lock_the_account_for_a_while(db: Database) -> None:
    add(db)
    for _ in range(LOCK_AFTER):
        with pytest.raises(AuthenticationFailed):
            authenticate(db.sessions, "wangfang", "guess guess guess", NOW)
    with pytest.raises(NotAllowed) as locked:
        authenticate(db.sessions, "wangfang", PW, NOW + dt.timedelta(minutes=1))  # even the right one
    assert "锁定" in locked.value.message_zh and not isinstance(locked.value, AuthenticationFailed)
    assert authenticate(db.sessions, "wangfang", PW, NOW + dt.timedelta(minutes=16)).login == "wangfang"


def test_disabled_accounts_cannot_sign_in_and_reset_passwords_work(db: Database) -> None:
    add(db)
    with write_transaction(db.sessions) as s:
        set_disabled(s, "wangfang", True, by="管理员甲（admin）", now=NOW)
    with pytest.raises(NotAllowed, match="disabled"):
        authenticate(db.sessions, "wangfang", PW, NOW)
    with write_transaction(db.sessions) as s:
        set_disabled(s, "wangfang", False, by="管理员甲（admin）", now=NOW)
        reset_password(s, "wangfang", "another long password", by="管理员甲（admin）", now=NOW)
    with pytest.raises(AuthenticationFailed):
        authenticate(db.sessions, "wangfang", PW, NOW)
    assert authenticate(db.sessions, "wangfang", "another long password", NOW).login == "wangfang"
    with db.sessions() as s:
        ((_, disabled, last),) = list_accounts(s)
    assert not disabled and last == NOW


@pytest.mark.parametrize(
    ("login", "roles", "password", "says"),
    [
        ("王芳", ["clerk"], PW, "用户名只能"),
        ("wf", ["boss"], PW, "角色只能是"),
        ("wf", ["clerk"], "short", "至少10个字符"),
    ],
)
def test_bad_accounts_are_refused_in_chinese(
    db: Database, login: str, roles: list[str], password: str, says: str
) -> None:
    with write_transaction(db.sessions) as s, pytest.raises(InvalidRequest) as refused:
        add_account(s, login, "王芳", roles, password, by="初始化", now=NOW)
    assert says in refused.value.message_zh


def test_the_first_account_is_an_administrator_and_then_only_administrators_add(
    cli_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def stdin(*lines: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))

    stdin(PW)
    assert main(["users", "add", "wangfang", "--name", "王芳", "--role", "clerk", "--password-stdin"]) == 2
    assert "第一个账号必须具有管理员角色" in capsys.readouterr().err
    stdin(PW)
    assert main(["users", "add", "admin", "--name", "管理员甲", "--role", "admin", "--password-stdin"]) == 0
    stdin(PW)
    assert main(["users", "add", "wangfang", "--name", "王芳", "--role", "clerk", "--password-stdin"]) == 12
    assert "--admin" in capsys.readouterr().err
    stdin("wrong password", PW)
    args = [
        "users",
        "add",
        "wangfang",
        "--name",
        "王芳",
        "--role",
        "clerk",
        "--admin",
        "admin",
        "--password-stdin",
    ]
    assert main(args) == 12
    stdin(PW, PW)
    assert main(args) == 0
    stdin(PW)
    assert (
        main(["users", "disable", "admin", "--reason", "调离", "--admin", "wangfang", "--password-stdin"])
        == 12
    )
    capsys.readouterr()
    assert main(["users", "list"]) == 12  # the accounts and their roles are for administrators
    assert "--admin" in capsys.readouterr().err
    stdin(PW)
    assert main(["users", "list", "--admin", "admin", "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert "wangfang" in out and "经办" in out and "管理员" in out and PW not in out


def test_an_administrator_never_disables_their_own_account_from_any_edge(
    cli_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: the console refused it, but `letters users disable` let an administrator lock
    themselves (and, as the only one, everybody) out; the rule lives in the case core now."""

    def stdin(*lines: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))

    stdin(PW)
    assert main(["users", "add", "admin", "--name", "管理员甲", "--role", "admin", "--password-stdin"]) == 0
    stdin(PW)
    assert (
        main(["users", "disable", "admin", "--reason", "调离", "--admin", "admin", "--password-stdin"]) == 2
    )
    assert "不能停用自己正在使用的账号" in capsys.readouterr().err
    stdin(PW)
    assert main(["users", "list", "--admin", "admin", "--password-stdin"]) == 0
    assert "正常" in capsys.readouterr().out
