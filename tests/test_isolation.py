"""Letters are read in limited child processes: a file that kills, starves or hangs its reader costs
the child, not the service, and only its own letter fails."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from pathlib import Path

import pytest

from pipeline.cases.isolation import (
    READER_DIED,
    READER_OUT_OF_MEMORY,
    IsolatedReader,
)
from pipeline.errors import CorruptFile, ReaderFailed
from pipeline.extraction import extract
from pipeline.reading import read_document
from tests.builders.docx_builder import build_docx
from tests.service_letters import spec_for

pytestmark = pytest.mark.slow  # real child processes, OCR or a whole install: seconds each

TODAY = dt.date(2026, 12, 1)


def poisoned(path: str, today: str):  # type: ignore[no-untyped-def]
    """A reader that a poisoned file kills (a native fault), and that reads the others."""
    name = Path(path).name
    if name.startswith("毒"):
        os.kill(os.getpid(), signal.SIGKILL)
    if name.startswith("胖"):
        hoard = bytearray(
            2 * 1024**3
        )  # past the child's address-space limit: MemoryError, not the host's RAM
        return hoard
    if name.startswith("慢"):
        Path(path + ".pid").write_text(str(os.getpid()))  # the test checks this child is stopped
        time.sleep(60)
    if name.startswith("坏"):
        raise CorruptFile("broken", "文件已损坏（子进程中读出）")
    from pipeline.cases.isolation import _read

    return _read(path, today)


def ocr_threads_here(path: str, today: str) -> int:
    """A reader that tells how many threads OCR may use in its child."""
    from pipeline.reading.ocr import engine

    return engine._threads


@pytest.fixture
def reader():  # type: ignore[no-untyped-def]
    pool = IsolatedReader(workers=1, memory_mb=768, seconds=20, target=poisoned)
    yield pool
    pool.close()


def test_a_letter_read_in_a_child_is_the_letter_read_here(tmp_path: Path) -> None:
    path = build_docx(spec_for(181, people=4), tmp_path / "来函.docx")
    pool = IsolatedReader(workers=1, memory_mb=3072, seconds=60)
    try:
        there = pool(path, TODAY)
    finally:
        pool.close()
    here = extract(read_document(path), today=TODAY)
    assert [(p.name, p.id_number) for p in there.people] == [(p.name, p.id_number) for p in here.people]
    assert (there.unit, there.doc_number, there.date) == (here.unit, here.doc_number, here.date)


def test_a_file_that_kills_its_reader_fails_alone_and_the_next_letter_is_read(reader, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    poison = tmp_path / "毒.docx"
    poison.write_bytes(b"x")
    with pytest.raises(ReaderFailed) as failed:
        reader(poison, TODAY)
    assert failed.value.message_zh == READER_DIED
    letter = reader(build_docx(spec_for(182), tmp_path / "好.docx"), TODAY)  # a fresh child reads on
    assert letter.people


def test_a_reader_past_its_memory_limit_is_stopped_with_the_reason(reader, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bomb = tmp_path / "胖.docx"
    bomb.write_bytes(b"x")
    with pytest.raises(ReaderFailed) as failed:
        reader(bomb, TODAY)
    assert failed.value.message_zh == READER_OUT_OF_MEMORY


def test_a_reader_that_hangs_is_stopped_after_its_time(tmp_path: Path) -> None:
    """Regression: the bound was a 1.5 s wall time that included starting the child, which a loaded
    machine missed. What the limit means is that the hung child is stopped and a fresh one reads on."""
    pool = IsolatedReader(workers=1, memory_mb=768, seconds=20, target=poisoned)
    slow = tmp_path / "慢.docx"
    slow.write_bytes(b"x")
    try:
        pool(build_docx(spec_for(183), tmp_path / "先.docx"), TODAY)  # the child is up before the clock
        pool.seconds = 3
        with pytest.raises(ReaderFailed) as failed:
            pool(slow, TODAY)
        assert "超过3秒" in failed.value.message_zh
        hung = int((tmp_path / "慢.docx.pid").read_text())
        assert _stopped(hung)
        pool.seconds = 60  # a fresh child's start-up is not what this test bounds
        assert pool(build_docx(spec_for(183), tmp_path / "好.docx"), TODAY).people
    finally:
        pool.close()


def _stopped(pid: int, wait: float = 30.0) -> bool:
    """Whether the process is gone (or a zombie awaiting its parent), waiting up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_a_reading_error_in_the_child_keeps_its_chinese_reason(reader, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "坏.docx"
    broken.write_bytes(b"x")
    with pytest.raises(CorruptFile) as failed:
        reader(broken, TODAY)
    assert failed.value.message_zh == "文件已损坏（子进程中读出）"


def test_each_reading_child_shares_the_cores_for_ocr(tmp_path: Path) -> None:
    """Two children that each gave OCR every core spun against each other (a quarter more CPU)."""
    pool = IsolatedReader(workers=2, memory_mb=768, seconds=60, target=ocr_threads_here)  # type: ignore[arg-type]
    try:
        assert pool(tmp_path / "any.pdf", TODAY) == max(1, (os.cpu_count() or 1) // 2)  # type: ignore[comparison-overlap]
    finally:
        pool.close()


def pid_here(path: str, today: str) -> int:
    """A reader that tells which process it runs in."""
    return os.getpid()


def test_reading_children_leave_when_the_service_is_killed(tmp_path: Path) -> None:
    """Regression: after a kill -9 of the service, its reading children waited for work forever
    (each holds both ends of its task queue), ten of them left behind by one test run."""
    import subprocess
    import sys

    script = (
        "import datetime as dt, pathlib, sys, time\n"
        "from pipeline.cases.isolation import IsolatedReader\n"
        "from tests.test_isolation import pid_here\n"
        "pool = IsolatedReader(workers=1, memory_mb=768, seconds=60, target=pid_here)\n"
        "print(pool(pathlib.Path('x'), dt.date(2026, 12, 1)), flush=True)\n"
        "time.sleep(600)\n"
    )
    service = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent
    )
    try:
        child = int(service.stdout.readline())  # type: ignore[union-attr]
        os.kill(child, 0)  # alive while the service is
        service.kill()
        service.wait()
        deadline = time.monotonic() + 30  # generous: the child checks every second
        while not _gone(child):
            if time.monotonic() > deadline:
                os.kill(child, signal.SIGKILL)
                pytest.fail("the reading child outlived its killed service")
            time.sleep(0.2)
    finally:
        service.kill()
        service.wait()


def _gone(pid: int) -> bool:
    """Exited: no such process, or a zombie waiting for init to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def cache_here(path: str, today: str) -> str | None:
    """A reader that tells where its conversions would be kept."""
    from pipeline.reading import legacy

    root = legacy.cache_root()
    return str(root) if root else None


def test_the_conversion_cache_setting_reaches_the_reading_children(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Regression: LETTERS_CONVERT_CACHE was read from the environment by the reader itself, past
    Settings (not in letters.toml, not in docs/settings.md); it is the convert_cache setting now,
    set once where the settings are loaded and handed to each reading child."""
    from pipeline.cases.context import open_context
    from pipeline.reading import legacy
    from pipeline.settings import load_settings

    (tmp_path / "data").mkdir()
    (tmp_path / "letters.toml").write_text('convert_cache = "转换缓存"\n', encoding="utf-8")
    settings = load_settings(env={}, base_dir=tmp_path, config=tmp_path / "letters.toml")
    monkeypatch.setattr(legacy, "_cache_root", None)
    with open_context(settings):
        assert legacy.cache_root() == tmp_path / "转换缓存"
        assert legacy.cache_folder() == tmp_path / "转换缓存" / "converted"
        pool = IsolatedReader(workers=1, memory_mb=768, seconds=60, target=cache_here)  # type: ignore[arg-type]
        try:
            assert pool(Path("x"), TODAY) == str(tmp_path / "转换缓存")
        finally:
            pool.close()
