"""重新处理: a failed case handed back to the inbox service, from its archived original.

After a fix (a newer reader, an installed font, a list loaded) a clerk sends a
failed letter through again. It stays the same case: the same received time,
so the same due date, and one history. The case goes back to received and a
running watcher takes it from the archived original like any interrupted
case; nothing is copied into the inbox, and the original is never touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from pipeline.cases.context import ServiceContext
from pipeline.cases.folders import REASON_NOTE, Folders
from pipeline.cases.transitions import move
from pipeline.domain.roles import Account, Role
from pipeline.errors import CaseNotFound, InvalidRequest, NotAllowed
from pipeline.files import sha256_file
from pipeline.storage import write_transaction
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState


def reprocess(ctx: ServiceContext, case_id: int, account: Account, now: dt.datetime | None = None) -> None:
    """failed → received, for the inbox service to handle again from the archive; audited."""
    if not account.has(Role.CLERK):
        raise NotAllowed(f"{account.login} lacks clerk", f"该操作需要“{Role.CLERK.label_zh}”角色。")
    now = now or dt.datetime.now()
    folders = Folders.from_settings(ctx.settings)
    with write_transaction(ctx.db.sessions) as session:
        case = session.get(Case, case_id)
        tracking = session.get(CaseTracking, case_id)
        if case is None or tracking is None:
            raise CaseNotFound(f"no case {case_id}", f"找不到第{case_id}号案件。")
        if case.state != CaseState.FAILED.value:
            raise InvalidRequest(
                f"case {case_id} is {case.state}",
                f"只有处理失败的案件可以重新处理；第{case_id}号案件状态为“{CaseState(case.state).label_zh}”。",
            )
        original = folders.archive / tracking.archive_path if tracking.archive_path else None
        if original is None or not original.exists() or sha256_file(original) != case.file_sha256:
            raise InvalidRequest(
                f"case {case_id} has no intact archived original",
                "该案件没有完好的存档原件，无法重新处理，请将来函文件重新放入收件箱。",
            )
        parked = folders.failed / tracking.parked_path if tracking.parked_path else None
        moved = move(
            session, case_id, source=CaseState.FAILED, target=CaseState.RECEIVED, actor=account.signature,
            reason="重新处理：由收件箱服务从存档原件重新读取、提取和核查", now=now,
            tracking={"decided": None, "attempts": 0, "retry_after": None, "owner": None, "finished_at": None},
            case={"error": None},
        )  # fmt: skip
        if not moved:
            raise InvalidRequest(
                f"case {case_id} changed", f"第{case_id}号案件状态刚刚发生变化，请重新查看。"
            )
    if parked is not None:  # the copy in failed/ and its note no longer say what happened
        with contextlib.suppress(OSError):
            if sha256_file(parked) == case.file_sha256:
                parked.unlink()
            parked.with_name(parked.name + REASON_NOTE).unlink()
