"""Who may read what, decided once: every page, command and download asks here (分级授权).

Acting on a case is `pipeline.cases.actions`; this is the other half, the lists and figures a role
may read. Core read functions call `require_read` themselves, so an edge that forgets to ask is
still refused; edges ask `may_read` only to decide what to offer.
"""

from __future__ import annotations

from enum import StrEnum

from pipeline.domain.roles import Account, Role
from pipeline.errors import NotAllowed


class Read(StrEnum):
    QUEUE = "queue"  # the case lists, the dashboard's counts, the service's status
    CASE = "case"  # one case with its personal data (each look recorded: pipeline.cases.viewing)
    OBJECTIONS = "objections"  # 异议 and their deadline chains
    SPOT_CHECKS = "spot_checks"  # the replies drawn for 抽查抽检
    SPOT_CHECK_AUDIT = "spot_check_audit"  # the draw's seed and its recount: checking the draw itself
    REPORTS = "reports"  # 定期通报
    WORKLOAD = "workload"  # the figures per person in a report
    AUDIT_LOG = "audit_log"  # the hash-chained log and its verification
    ACCOUNTS = "accounts"  # the named accounts and their roles

    @property
    def label_zh(self) -> str:
        return _LABELS[self]


_LABELS = {
    Read.QUEUE: "待办列表",
    Read.CASE: "案件及查询对象个人信息",
    Read.OBJECTIONS: "异议办理",
    Read.SPOT_CHECKS: "抽查抽检",
    Read.SPOT_CHECK_AUDIT: "抽查的随机种子与复算",
    Read.REPORTS: "定期通报",
    Read.WORKLOAD: "人员工作量",
    Read.AUDIT_LOG: "审计日志",
    Read.ACCOUNTS: "账号管理",
}

# The people whose work is the letters read them: clerks and reviewers handle them, auditors check
# the handling. An administrator manages accounts, lists and settings, not letters; the workload
# and the draw's seed are for those who oversee the people (administrator, auditor).
_LETTERS = (Role.CLERK, Role.REVIEWER, Role.AUDITOR)
_OVERSIGHT = (Role.ADMIN, Role.AUDITOR)
READ_ROLES: dict[Read, tuple[Role, ...]] = {
    Read.QUEUE: (*_LETTERS, Role.ADMIN),
    Read.CASE: _LETTERS,
    Read.OBJECTIONS: _LETTERS,  # they name people: as a case does
    Read.SPOT_CHECKS: (*_LETTERS, Role.ADMIN),
    Read.SPOT_CHECK_AUDIT: _OVERSIGHT,
    Read.REPORTS: (*_LETTERS, Role.ADMIN),
    Read.WORKLOAD: _OVERSIGHT,
    Read.AUDIT_LOG: _OVERSIGHT,
    Read.ACCOUNTS: (Role.ADMIN,),
}


def may_read(account: Account, what: Read) -> bool:
    return any(account.has(role) for role in READ_ROLES[what])


def require_read(account: Account, what: Read) -> None:
    """Refused (NotAllowed, in Chinese) unless one of the account's roles may read `what`."""
    if may_read(account, what):
        return
    needed = "或".join(f"“{r.label_zh}”" for r in READ_ROLES[what])
    raise NotAllowed(
        f"{account.login} may not read {what}",
        f"查看{what.label_zh}需要{needed}角色，{account.signature}没有该角色。",
    )
