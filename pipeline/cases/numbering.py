"""Reply 文号 that never repeat, even after the database is lost or restored from an old backup.

Every number allocated is a row of a ledger (`reply_numbers`) that ends used (recorded on its case
with its audit event in the transaction that makes the reply final, before any file carrying it
is published), void (never sent, with the audit event that says why: `void_unused`) or confirmed
(an orphan an administrator accounted for). `orphans` compares every numbered file in the outbox
and the results, and every number in the audit chain, with the ledger; the service will not start
while one is unexplained.

The database's counter is the authority while it is whole. Two witnesses
outside it keep what it may forget: a small counter file beside the
database (`reply-numbers.json`, the highest number each prefix and year has
reached, raised after every allocation), and the published results, whose
files carry the 文号 they went out with. Every allocation starts above the
counter file's number; at start-up the service compares the database with
both witnesses and will not take letters while the database is behind,
until an administrator confirms (`letters numbers confirm`), which raises
the counters past every number already issued and is audited.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.domain.roles import Account, Role
from pipeline.errors import NumbersBehind, NumbersOrphaned
from pipeline.settings import Settings
from pipeline.storage import audit, write_transaction
from pipeline.storage.case_models import AuditEvent
from pipeline.storage.database import Database
from pipeline.storage.models import Case, CaseState, ReplyCounter, ReplyNumber
from pipeline.storage.numbers import (
    allocate_reply_number,
    format_doc_number,
    raise_counter,
    unused_numbers,
)

COUNTER_FILE = "reply-numbers.json"
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Behind:
    year: int
    in_database: int
    issued: int

    def text(self, prefix: str) -> str:
        have = format_doc_number(prefix, self.year, self.in_database) if self.in_database else "尚无"
        return (
            f"{self.year}年：数据库计数为{have}，而已发出{format_doc_number(prefix, self.year, self.issued)}"
        )


def counter_file(settings: Settings) -> Path:
    return settings.path(settings.data_dir) / COUNTER_FILE


def _read_file(path: Path) -> dict[str, dict[str, int]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def file_floor(settings: Settings, prefix: str, year: int) -> int:
    value = _read_file(counter_file(settings)).get(prefix, {}).get(str(year), 0)
    return value if isinstance(value, int) else 0


def _record(settings: Settings, prefix: str, year: int, number: int) -> None:
    """Raise the counter file to `number` (never lower it); written whole, then renamed, private."""
    path = counter_file(settings)
    with _lock:
        data = _read_file(path)
        years = data.setdefault(prefix, {})
        if years.get(str(year), 0) >= number:
            return
        years[str(year)] = number
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        part.replace(path)


def next_reply_number(
    db_sessions, settings: Settings, year: int, *, case_id: int | None, now: dt.datetime
) -> str:  # db_sessions: sessionmaker
    """The next 文号: above the database's counter and above the counter file's, then written to both."""
    prefix = settings.reply_prefix
    number = allocate_reply_number(
        db_sessions, prefix, year, case_id=case_id, now=now, floor=file_floor(settings, prefix, year)
    )
    m = re.search(r"〔(\d{4})〕(\d+)号$", number)
    if m:
        _record(settings, prefix, int(m.group(1)), int(m.group(2)))
    return number


def issued_numbers(settings: Settings, seen: list[Orphan] | None = None) -> dict[int, int]:
    """The highest number per year the witnesses know: the counter file, the published results (their
    files carry the 文号 they went out with) and the outbox (`seen`: witnessed(), when the caller has
    it already)."""
    prefix = settings.reply_prefix
    pattern = re.compile(re.escape(prefix) + r"〔(\d{4})〕(\d+)号")
    best: dict[int, int] = {}

    def see(text: str) -> None:
        for year, number in pattern.findall(text):
            best[int(year)] = max(best.get(int(year), 0), int(number))

    for year, number in _read_file(counter_file(settings)).get(prefix, {}).items():
        if str(year).isdigit() and isinstance(number, int):
            best[int(year)] = max(best.get(int(year), 0), number)
    results = settings.path(settings.data_dir) / "results"
    if results.is_dir():
        for path in results.iterdir():
            see(path.name)
            if path.suffix == ".json" and path.stat().st_size < 5 * 1024 * 1024:
                try:
                    see(path.read_text(encoding="utf-8", errors="replace"))
                except OSError:
                    continue
    for witness in witnessed(settings) if seen is None else seen:  # outbox names, the 文号 each .docx prints
        see(witness.number)
    return best


def behind(db: Database, settings: Settings, seen: list[Orphan] | None = None) -> list[Behind]:
    """The years whose database counter is below a number already issued."""
    issued = issued_numbers(settings, seen)
    with db.sessions() as session:
        have = {
            c.year: c.last_number
            for c in session.scalars(select(ReplyCounter).where(ReplyCounter.prefix == settings.reply_prefix))
        }
    return [Behind(y, have.get(y, 0), n) for y, n in sorted(issued.items()) if have.get(y, 0) < n]


def check_numbers(db: Database, settings: Settings) -> None:
    """At start-up: refuse while the database is behind the numbers already issued, or while a
    numbered file in the outbox or the results is one the database does not know."""
    seen = witnessed(settings)  # every outbox .docx read once, for both questions
    late = behind(db, settings, seen)
    if late:
        said = "；".join(b.text(settings.reply_prefix) for b in late)
        raise NumbersBehind(
            f"reply number counter behind issued replies: {[(b.year, b.in_database, b.issued) for b in late]}",
            f"数据库中的复函文号计数落后于已发出的复函（{said}）：数据库可能已丢失或从旧备份恢复。"
            "为避免同一文号发出两次，服务暂不办理来函；请管理员核实后确认，"
            "系统将把计数调到已发出的最大文号之后。",
        )
    lost = orphans(db, settings, seen)
    if lost:
        said = "；".join(o.text() for o in lost[:10]) + (f"等{len(lost)}件" if len(lost) > 10 else "")
        raise NumbersOrphaned(
            f"numbered files unknown to the database: {[o.number for o in lost]}",
            f"发件箱或结果文件夹中有数据库未记录的复函文号（{said}），可能有复函未入账即已发出。"
            "服务暂不办理来函；请管理员核实这些文件（是否已寄出、应归入哪件来函）后确认，确认记入审计日志。",
        )


@dataclass(frozen=True, slots=True)
class Orphan:
    """A 文号 seen outside the database's knowledge: where, and when the file was written."""

    number: str
    where: str  # a file's path, or 审计日志第N条
    at: dt.datetime | None

    def text(self) -> str:
        when = f"，{self.at:%Y-%m-%d %H:%M:%S}" if self.at else ""
        return f"{self.number}（{self.where}{when}）"


def _docx_numbers(path: Path, pattern: re.Pattern[str]) -> set[str]:
    """The 文号 a .docx prints (its main part's text; run boundaries removed)."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("word/document.xml")
            if info.file_size > 20 * 1024 * 1024:
                return set()
            xml = zf.read(info).decode("utf-8", errors="replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return set()
    return set(pattern.findall(re.sub(r"<[^>]+>", "", xml)))


def witnessed(settings: Settings) -> list[Orphan]:
    """Every 文号 a published file carries: outbox names and .docx text, result files' numbers."""
    prefix = settings.reply_prefix
    pattern = re.compile(re.escape(prefix) + r"〔\d{4}〕\d+号")
    seen: list[Orphan] = []

    def when(path: Path) -> dt.datetime | None:
        try:
            return dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)
        except OSError:
            return None

    outbox = settings.path(settings.outbox)
    if outbox.is_dir():
        for path in sorted(outbox.iterdir()):
            found = set(pattern.findall(path.name))
            if path.suffix.lower() == ".docx" and path.is_file():
                found |= _docx_numbers(path, pattern)
            seen.extend(Orphan(n, str(path), when(path)) for n in sorted(found))
    results = settings.path(settings.data_dir) / "results"
    if results.is_dir():
        for path in sorted(results.iterdir()):
            found = set(pattern.findall(path.name))
            if path.suffix == ".json" and path.is_file() and path.stat().st_size < 5 * 1024 * 1024:
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    data = None
                number = data.get("reply_doc_number") if isinstance(data, dict) else None
                if isinstance(number, str) and pattern.fullmatch(number):
                    found.add(number)
            seen.extend(Orphan(n, str(path), when(path)) for n in sorted(found))
    return seen


def orphans(db: Database, settings: Settings, seen: list[Orphan] | None = None) -> list[Orphan]:
    """Numbered files whose 文号 the ledger does not show as used or confirmed, and numbers in the
    audit chain the ledger has never heard of (`seen`: witnessed(), when the caller has it)."""
    prefix = settings.reply_prefix
    pattern = re.compile(re.escape(prefix) + r"〔\d{4}〕\d+号")
    with db.sessions() as session:
        ledger = {
            r.doc_number: r for r in session.scalars(select(ReplyNumber).where(ReplyNumber.prefix == prefix))
        }
        events = session.execute(
            select(AuditEvent.seq, AuditEvent.at, AuditEvent.reason).where(AuditEvent.reason.contains(prefix))
        ).all()
    found: list[Orphan] = []
    for witness in witnessed(settings) if seen is None else seen:
        row = ledger.get(witness.number)
        if row is None or (row.used_at is None and row.confirmed_at is None):
            found.append(witness)
    for seq, at, reason in events:
        for number in dict.fromkeys(pattern.findall(reason or "")):
            if number not in ledger:
                found.append(Orphan(number, f"审计日志第{seq}条", dt.datetime.fromisoformat(at)))
    return list({(o.number, o.where): o for o in found}.values())


VOID_AFTER = dt.timedelta(minutes=15)  # a letter outside a case's processing renders well within this


def void_unused(session: Session, now: dt.datetime, *, case_id: int | None = None) -> list[str]:
    """In the caller's transaction, void every allocated number no reply can still use, each with an
    audit event saying why. With `case_id`: that case's numbers, its run having just ended (finished,
    given back, or its letter refused). Without: numbers of cases no longer being processed (a run
    that died) and of no case at all, allocated more than VOID_AFTER ago."""
    rows = unused_numbers(
        session, allocated_before=None if case_id is not None else now - VOID_AFTER, case_id=case_id
    )
    voided = []
    for row in rows:
        why = ENDED_ZH.format(case_id=case_id) if case_id is not None else _void_reason(session, row)
        if why is None:
            continue
        row.void_at, row.note = now, why[:1000]
        audit.append(
            session, actor=audit.SERVICE, case_id=row.case_id, from_state=None, to_state=None, at=now,
            reason=f"复函文号{row.doc_number}作废：{why}",
        )  # fmt: skip
        voided.append(row.doc_number)
    return voided


ENDED_ZH = "第{case_id}号案件的本次办理未完成（处理中断、生成复函失败或已由他人办理），该文号未用于任何复函"


def _void_reason(session: Session, row: ReplyNumber) -> str | None:
    """Why the number can no longer go out, or None while its case may still use it."""
    if row.case_id is None:
        return "分配后未关联任何案件，未用于任何复函"
    case = session.get(Case, row.case_id)
    if case is None:
        return "所属案件已不存在，未用于任何复函"
    if case.state == CaseState.PROCESSING.value:
        return None  # still being made: its run uses it or dies, and the next call decides
    return ENDED_ZH.format(case_id=row.case_id)


def confirm_numbers(
    db: Database, settings: Settings, account: Account, now: dt.datetime | None = None
) -> list[Behind]:
    """An administrator's word: raise each counter past every number issued, and account for every
    orphaned number (a ledger row marked confirmed, and an audit event naming its file); audited."""
    account.require(Role.ADMIN)
    by = account.signature
    now = now or dt.datetime.now()
    seen = witnessed(settings)
    late = behind(db, settings, seen)
    lost = orphans(db, settings, seen)
    if not late and not lost:
        return []
    with write_transaction(db.sessions) as session:
        for b in late:
            raise_counter(session, settings.reply_prefix, b.year, b.issued)
        if late:
            said = "；".join(b.text(settings.reply_prefix) for b in late)
            audit.append(
                session, actor=by, case_id=None, from_state=None, to_state=None, at=now,
                reason=f"复函文号计数已按已发出的复函校正（{said}），此后从其后续号开始",
            )  # fmt: skip
        for number, group in _by_number(lost).items():
            row = session.scalars(select(ReplyNumber).where(ReplyNumber.doc_number == number)).first()
            where = "；".join(o.text() for o in group)[:900]
            if row is None:
                m = re.search(r"〔(\d{4})〕(\d+)号$", number)
                row = ReplyNumber(
                    prefix=settings.reply_prefix, year=int(m.group(1)) if m else 0,
                    number=int(m.group(2)) if m else 0, doc_number=number, case_id=None, allocated_at=now,
                )  # fmt: skip
                session.add(row)
            row.confirmed_at, row.note = now, f"管理员确认：{where}"[:1000]
            audit.append(
                session, actor=by, case_id=row.case_id, from_state=None, to_state=None, at=now,
                reason=f"管理员确认数据库未记录的复函文号{number}：{where}"[:2000],
            )  # fmt: skip
    return late


def _by_number(lost: list[Orphan]) -> dict[str, list[Orphan]]:
    grouped: dict[str, list[Orphan]] = {}
    for o in lost:
        grouped.setdefault(o.number, []).append(o)
    return grouped
