"""Reply 文号 that never repeat, even after the database is lost or restored from an old backup.

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
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from pipeline.errors import NumbersBehind
from pipeline.settings import Settings
from pipeline.storage import audit, write_transaction
from pipeline.storage.database import Database
from pipeline.storage.models import ReplyCounter
from pipeline.storage.numbers import allocate_reply_number, format_doc_number, raise_counter

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


def issued_numbers(settings: Settings) -> dict[int, int]:
    """The highest number per year the witnesses know: the counter file, the published results (their
    files carry the 文号 they went out with) and the names in the outbox."""
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
    outbox = settings.path(settings.outbox)
    if outbox.is_dir():
        for path in outbox.iterdir():
            see(path.name)
    return best


def behind(db: Database, settings: Settings) -> list[Behind]:
    """The years whose database counter is below a number already issued."""
    issued = issued_numbers(settings)
    with db.sessions() as session:
        have = {
            c.year: c.last_number
            for c in session.scalars(select(ReplyCounter).where(ReplyCounter.prefix == settings.reply_prefix))
        }
    return [Behind(y, have.get(y, 0), n) for y, n in sorted(issued.items()) if have.get(y, 0) < n]


def check_numbers(db: Database, settings: Settings) -> None:
    """At start-up: refuse while the database is behind the numbers already issued."""
    late = behind(db, settings)
    if not late:
        return
    said = "；".join(b.text(settings.reply_prefix) for b in late)
    raise NumbersBehind(
        f"reply number counter behind issued replies: {[(b.year, b.in_database, b.issued) for b in late]}",
        f"数据库中的复函文号计数落后于已发出的复函（{said}）：数据库可能已丢失或从旧备份恢复。"
        "为避免同一文号发出两次，服务暂不办理来函；请管理员核实后执行 letters numbers confirm --by 姓名，"
        "系统将把计数调到已发出的最大文号之后。",
    )


def confirm_numbers(
    db: Database, settings: Settings, by: str, now: dt.datetime | None = None
) -> list[Behind]:
    """An administrator's word: raise each counter past every number issued; audited."""
    now = now or dt.datetime.now()
    late = behind(db, settings)
    if not late:
        return []
    with write_transaction(db.sessions) as session:
        for b in late:
            raise_counter(session, settings.reply_prefix, b.year, b.issued)
        said = "；".join(b.text(settings.reply_prefix) for b in late)
        audit.append(
            session, actor=by, case_id=None, from_state=None, to_state=None, at=now,
            reason=f"复函文号计数已按已发出的复函校正（{said}），此后从其后续号开始",
        )  # fmt: skip
    return late
