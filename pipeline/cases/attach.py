"""附加名单: a roster that arrived without its letter, joined by a clerk to the letter's case.

The roster alone failed (nothing to answer); the letter alone waits (no people,
or a roster that says 见附件). A clerk names the letter's case: both archived
originals, unchanged, go into one new archived zip, the letter's case takes
that zip as its letter and goes back to the inbox service (same received
time, same due date, one history), and the roster's case is closed with a
pointer to it. Nothing is copied into the inbox; no original is touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zipfile
from pathlib import Path

from pipeline.cases.actions import Action, require
from pipeline.cases.context import ServiceContext
from pipeline.cases.drafts import drop_draft
from pipeline.cases.folders import REASON_NOTE, Folders
from pipeline.cases.transitions import move
from pipeline.domain.roles import Account
from pipeline.errors import CaseNotFound, InvalidRequest
from pipeline.files import fit_name, sha256_file, write_zip
from pipeline.reading.sniff import sniff
from pipeline.storage import write_transaction
from pipeline.storage.case_models import CaseTracking
from pipeline.storage.models import Case, CaseState

JOINABLE = (CaseState.WAITING_REVIEW, CaseState.FAILED)


def _intact(folders: Folders, case: Case, tracking: CaseTracking) -> Path:
    original = folders.archive / tracking.archive_path if tracking.archive_path else None
    if original is None or not original.exists() or sha256_file(original) != case.file_sha256:
        raise InvalidRequest(
            f"case {case.id} has no intact archived original",
            f"第{case.id}号案件没有完好的存档原件，无法合并，请将来函与名单放入同一子文件夹后重新放入收件箱。",
        )
    return original


def _members(path: Path, name: str) -> list[tuple[str, bytes, float]]:
    """A letter's original as bundle members: itself, or the members of a bundle it already is."""
    mtime = path.stat().st_mtime
    if sniff(path) != "zip":
        return [(name, path.read_bytes(), mtime)]
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, zf.read(i), mtime) for i in zf.infolist() if not i.is_dir()]


def attach_roster(
    ctx: ServiceContext, roster_case: int, letter_case: int, account: Account, now: dt.datetime | None = None
) -> None:
    """Join the loose roster of `roster_case` to the letter of `letter_case`; audited on both."""
    now = now or dt.datetime.now()
    folders = Folders.from_settings(ctx.settings)
    with ctx.db.sessions() as session:
        require(session, roster_case, account, Action.ATTACH, now)
    if roster_case == letter_case:
        raise InvalidRequest("same case", "请填写来函所在的另一个案件号。")
    with ctx.db.sessions() as session:
        found = {n: (session.get(Case, n), session.get(CaseTracking, n)) for n in (roster_case, letter_case)}
        for n, (case, tracking) in found.items():
            if case is None or tracking is None:
                raise CaseNotFound(f"no case {n}", f"找不到第{n}号案件。")
        roster, roster_tracking = found[roster_case]
        letter, letter_tracking = found[letter_case]
        if CaseState(letter.state) not in JOINABLE:  # type: ignore[union-attr]
            raise InvalidRequest(
                f"case {letter_case} is {letter.state}",  # type: ignore[union-attr]
                f"名单只能附到待人工复核或处理失败的来函；第{letter_case}号案件状态为"
                f"“{CaseState(letter.state).label_zh}”。",  # type: ignore[union-attr]
            )
        letter_state, letter_seen = CaseState(letter.state), letter.file_sha256  # type: ignore[union-attr]
        letter_file = _intact(folders, letter, letter_tracking)  # type: ignore[arg-type]
        roster_file = _intact(folders, roster, roster_tracking)  # type: ignore[arg-type]
        letter_name = Path(letter.original_name).name  # type: ignore[union-attr]
        roster_name = Path(roster.original_name).name  # type: ignore[union-attr]
        parked = folders.failed / roster_tracking.parked_path if roster_tracking.parked_path else None  # type: ignore[union-attr]
        roster_sha = roster.file_sha256  # type: ignore[union-attr]
        received = letter.received_at  # type: ignore[union-attr]
    members = _members(letter_file, letter_name)
    if roster_name in {m[0] for m in members}:
        roster_name = f"附件-{roster_name}"
    members.append((roster_name, roster_file.read_bytes(), roster_file.stat().st_mtime))
    rel = f"{received:%Y/%m}/{letter_case:06d}-{fit_name(Path(letter_name).stem)}-附名单{roster_case}.zip"
    bundle = folders.archive / rel
    bundle.parent.mkdir(parents=True, exist_ok=True)
    part = bundle.with_name(bundle.name + ".part")
    write_zip(part, members)
    part.replace(bundle)
    sha = sha256_file(bundle)
    with write_transaction(ctx.db.sessions) as session:
        current = session.get(Case, letter_case)
        if current is None or current.file_sha256 != letter_seen:
            raise InvalidRequest(
                f"case {letter_case} changed", f"第{letter_case}号案件刚刚发生变化，请重新查看。"
            )
        moved = move(
            session, letter_case, source=letter_state, target=CaseState.RECEIVED, actor=account.signature,
            reason=f"附加名单：第{roster_case}号案件的“{roster_name}”已附到本来函，由收件箱服务重新读取、提取和核查",
            now=now,
            tracking={"decided": None, "attempts": 0, "retry_after": None, "owner": None, "finished_at": None,
                      "archive_path": rel, "crashes": 0},
            case={"error": None, "error_kind": None, "file_sha256": sha},
        )  # fmt: skip
        closed = moved and move(
            session, roster_case, source=CaseState.FAILED, target=CaseState.CLOSED, actor=account.signature,
            reason=f"名单已附到第{letter_case}号案件的来函，在该案件中办理", now=now,
            tracking={"finished_at": now},
        )  # fmt: skip
        if not closed:
            raise InvalidRequest("a case changed", "案件状态刚刚发生变化，请重新查看。")
        drop_draft(session, letter_case)  # a draft of the letter without its roster no longer applies
    if parked is not None:  # the copy in failed/ and its note no longer say what happened
        with contextlib.suppress(OSError):
            if sha256_file(parked) == roster_sha:
                parked.unlink()
            parked.with_name(parked.name + REASON_NOTE).unlink()
