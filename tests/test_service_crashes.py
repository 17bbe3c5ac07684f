"""A letter that crashes the service does not crash it again forever: after two crashes on the same case
at resume, the case is failed with 处理该文件时服务异常退出 and its file parked."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from pipeline.cases.core import CRASHED_ZH
from tests.test_service_faults import final_cases, start


def _dies(proc: subprocess.Popen, timeout: float = 30) -> int:
    return proc.wait(timeout)


@pytest.mark.slow
def test_a_letter_that_kills_the_service_twice_is_failed_and_parked(tmp_path: Path) -> None:
    base = tmp_path / "office"
    base.mkdir()
    (base / "inbox").mkdir()
    (base / "inbox" / "毒.docx").write_text("CRASH", encoding="utf-8")
    for _ in range(2):  # read at start, the letter kills the service: twice
        assert _dies(start(base, "--fake")) == -9
    proc = start(base, "--fake")  # the third start does not read it again
    try:
        (base / "inbox" / "好.docx").write_text("OK b", encoding="utf-8")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            cases = {c.original_name: (c, t) for c, t in final_cases(base)}
            if all(c.state in ("failed", "replied") for c, _ in cases.values()) and len(cases) == 2:
                break
            time.sleep(0.3)
        assert proc.poll() is None  # still running
    finally:
        proc.terminate()
        proc.wait(15)
    poison, tracking = cases["毒.docx"]
    assert poison.state == "failed" and poison.error == CRASHED_ZH and tracking.crashes == 2
    assert (base / "failed" / "毒.docx").read_text(encoding="utf-8") == "CRASH"  # parked, never lost
    assert cases["好.docx"][0].state == "replied"  # one bad file never stops the service
