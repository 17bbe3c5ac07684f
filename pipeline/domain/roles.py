"""Who may do what: the office's roles (专人管理、分级授权) and an authenticated account."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pipeline.errors import NotAllowed


class Role(StrEnum):
    CLERK = "clerk"  # 经办: correct, decide, confirm and approve cases
    REVIEWER = "reviewer"  # 复核: the second review of hits on civil-servant queries
    ADMIN = "admin"  # 管理员: accounts, settings, lists
    AUDITOR = "auditor"  # 审计: read-only, the audit log

    @property
    def label_zh(self) -> str:
        return {"clerk": "经办", "reviewer": "复核", "admin": "管理员", "auditor": "审计"}[self.value]


@dataclass(frozen=True, slots=True)
class Account:
    """A person who has proved who they are (a password checked against a named account)."""

    login: str
    name: str
    roles: frozenset[Role]

    @property
    def signature(self) -> str:
        """How the account is recorded as an actor: readable, and unique (logins are)."""
        return f"{self.name}（{self.login}）"

    def has(self, role: Role) -> bool:
        return role in self.roles

    def require(self, *roles: Role) -> None:
        """Refused unless the account holds one of `roles` (专人管理、分级授权). It returns nothing:
        who acted is always `signature`, read from the account, never a value passed along."""
        if not any(r in self.roles for r in roles):
            needed = "或".join(r.label_zh for r in roles)
            raise NotAllowed(
                f"{self.login} lacks {'/'.join(roles)}",
                f"该操作需要“{needed}”角色，{self.signature}没有该角色。",
            )
