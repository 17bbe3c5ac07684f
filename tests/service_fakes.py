"""A stand-in processor for service tests that must not depend on reading real letters.

A "letter" is a small text file: `OK …` gets a reply (with a real reply 文号
from storage), `REVIEW …` waits for review, `BAD …` is unreadable,
`SLOW …` takes a second. Replies are written into the staging folder.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

from pipeline.cases.handling import Handled, Processor
from pipeline.domain.reasons import Reason, ReasonCode
from pipeline.errors import CorruptFile
from pipeline.settings import Settings
from pipeline.storage import Database
from pipeline.storage.numbers import allocate_reply_number


def fake_processor(settings: Settings, db: Database) -> Processor:
    def process(letter: Path, case_id: int, staging: Path) -> Handled:
        text = letter.read_text(encoding="utf-8", errors="replace")
        if text.startswith("BAD"):
            raise CorruptFile("corrupt")
        if text.startswith("CRASH"):  # a letter that kills the process reading it (a native fault, OOM)
            import os
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
        if text.startswith("SLOW"):
            time.sleep(1.0)
        if text.startswith("REVIEW"):
            return Handled(
                "waiting_review",
                reasons=[Reason(ReasonCode.ID_INVALID, "第1人（王伟）：身份证号码校验位错误", 1)],
                unit="测试单位",
            )
        number = allocate_reply_number(
            db.sessions, settings.reply_prefix, dt.date.today().year, case_id=case_id
        )
        reply = staging / f"{dt.date.today():%Y-%m-%d} 测试单位 {number}.txt"
        reply.write_text(f"{number}\n{text}", encoding="utf-8")
        result = staging / f"{dt.date.today():%Y-%m-%d} 测试单位 {number}.json"
        result.write_text(
            json.dumps({"case": case_id, "reply": number}, ensure_ascii=False), encoding="utf-8"
        )
        return Handled(
            "replied",
            reply_doc_number=number,
            outputs={"docx": reply, "json": result},
            unit="测试单位",
            doc_number="陕人社函〔2021〕88号",
        )

    return process
