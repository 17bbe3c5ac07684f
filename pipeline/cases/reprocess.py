"""重新处理: a failed case handed back to the inbox service, from its archived original; and
再次答复: a duplicate answered after all, on a named person's word and reason.

After a fix (a newer reader, an installed font, a list loaded) a clerk sends a
failed letter through again. It stays the same case: the same received time,
so the same due date, and one history. The case goes back to received and a
running watcher takes it from the archived original like any interrupted
case; nothing is copied into the inbox, and the original is never touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from pipeline.cases.actions import Action, require
from pipeline.cases.context import ServiceContext
from pipeline.cases.core import archive_name
from pipeline.cases.folders import DUPLICATE_NOTE, REASON_NOTE, Folders
from pipeline.cases.intake import AnswerAgain, again_reason, answered_again
from pipeline.cases.lookup import get_case
from pipeline.cases.transitions import move
from pipeline.domain.roles import Account
from pipeline.errors import InvalidRequest
from pipeline.files import safe_copy, sha256_file
from pipeline.storage import write_transaction
from pipeline.storage.models import CaseState


def reprocess(ctx: ServiceContext, case_id: int, account: Account, now: dt.datetime | None = None) -> None:
    """failed → received, for the inbox service to handle again from the archive; audited."""
    now = now or dt.datetime.now()
    folders = Folders.from_settings(ctx.settings)
    with write_transaction(ctx.db.sessions) as session:
        require(session, case_id, account, Action.REPROCESS, now)
        case, tracking = get_case(session, case_id)
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
            tracking={"decided": None, "attempts": 0, "retry_after": None, "owner": None, "finished_at": None,
                      "crashes": 0},
            case={"error": None, "error_kind": None},
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


def answer_again(
    ctx: ServiceContext, case_id: int, account: Account, reason: str, now: dt.datetime | None = None
) -> None:
    """A duplicate (the same bytes as an earlier case) answered as a letter of its own: the sender's
    reply went astray, or the earlier case was answered by hand. Its parked copy is archived and the
    case goes back to received for the inbox service; the decision and its reason are audited."""
    reason = again_reason(AnswerAgain(account, reason))
    now = now or dt.datetime.now()
    folders = Folders.from_settings(ctx.settings)
    with ctx.db.sessions() as session:
        require(session, case_id, account, Action.ANSWER_AGAIN, now)
        case, tracking = get_case(session, case_id)
        assert tracking.parked_path is not None  # the rule requires it
        parked = folders.duplicates / tracking.parked_path
        rel, earlier = archive_name(case, tracking), tracking.duplicate_of
    if not parked.exists() or sha256_file(parked) != case.file_sha256:
        raise InvalidRequest(
            f"case {case_id} has no intact parked copy",
            f"重复来函文件（duplicates/{tracking.parked_path}）已不在或已被改动，请将来函文件重新放入收件箱。",
        )
    dest = folders.archive / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not (dest.exists() and sha256_file(dest) == case.file_sha256):
        safe_copy(parked, dest, case.file_sha256)
    with write_transaction(ctx.db.sessions) as session:
        moved = move(
            session, case_id, source=CaseState.DUPLICATE, target=CaseState.RECEIVED, actor=account.signature,
            reason=answered_again(reason, earlier, account), now=now,
            tracking={"decided": None, "attempts": 0, "retry_after": None, "owner": None, "finished_at": None,
                      "duplicate_of": None, "archive_path": rel},
        )  # fmt: skip
        if not moved:
            raise InvalidRequest(
                f"case {case_id} changed", f"第{case_id}号案件状态刚刚发生变化，请重新查看。"
            )
    with contextlib.suppress(OSError):  # its note says it was not answered: no longer so
        parked.with_name(parked.name + DUPLICATE_NOTE).unlink()
