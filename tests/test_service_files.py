from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.files import safe_copy, sha256_file, unique_path
from pipeline.inbox.files import StabilityTracker, is_ignored, iter_letters


@pytest.mark.parametrize(
    "name",
    ["~$来函.docx", ".~lock.来函.docx#", "scan.tmp", "big.PART", ".DS_Store", "Thumbs.db", ".hidden.pdf"],
)
def test_lock_temp_and_hidden_files_are_ignored(name: str) -> None:
    assert is_ignored(Path("/in") / name, Path("/in"))


@pytest.mark.parametrize("name", ["来函.docx", "陕人社函〔2021〕88号.pdf", "scan.jpg", "a.b.docx"])
def test_letters_are_not_ignored(name: str) -> None:
    assert not is_ignored(Path("/in") / name, Path("/in"))


def test_hidden_folders_are_ignored_but_subfolders_are_walked(tmp_path: Path) -> None:
    (tmp_path / "西安市" / "二批").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "西安市" / "二批" / "a.docx").write_bytes(b"x")
    (tmp_path / ".git" / "b.docx").write_bytes(b"x")
    (tmp_path / "~$a.docx").write_bytes(b"x")
    (tmp_path / "c.pdf").write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_letters(tmp_path)]
    assert sorted(found) == ["c.pdf", "西安市/二批/a.docx"]


def test_file_is_stable_only_after_a_quiet_period(tmp_path: Path) -> None:
    now = [100.0]
    tracker = StabilityTracker(2.0, clock=lambda: now[0])
    path = tmp_path / "a.docx"
    path.write_bytes(b"part one")
    assert not tracker.observe(path)
    now[0] += 1.5
    assert not tracker.observe(path)
    with open(path, "ab") as fh:  # the writer is still at it: the clock starts again
        fh.write(b" and part two")
    now[0] += 1.0
    assert not tracker.observe(path)
    now[0] += 1.9
    assert not tracker.observe(path)
    now[0] += 0.2
    assert tracker.observe(path)


def test_zero_wait_takes_a_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "a.docx"
    path.write_bytes(b"x")
    assert StabilityTracker(0).observe(path)


def test_vanished_file_is_never_stable(tmp_path: Path) -> None:
    tracker = StabilityTracker(0)
    assert not tracker.observe(tmp_path / "gone.docx")


def test_safe_copy_is_private_and_verified(tmp_path: Path) -> None:
    src = tmp_path / "a.docx"
    src.write_bytes(b"letter bytes" * 1000)
    digest = sha256_file(src)
    dest = tmp_path / "archive" / "2026" / "11" / "a.docx"
    assert safe_copy(src, dest, digest) == digest
    assert dest.read_bytes() == src.read_bytes()
    assert os.stat(dest).st_mode & 0o777 == 0o600
    with pytest.raises(ValueError):
        safe_copy(src, tmp_path / "b.docx", "0" * 64)
    assert not (tmp_path / "b.docx").exists()


def test_unique_path_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "a.docx").write_bytes(b"1")
    (tmp_path / "a(2).docx").write_bytes(b"2")
    assert unique_path(tmp_path, "a.docx").name == "a(3).docx"
    assert unique_path(tmp_path, "b.docx").name == "b.docx"


def test_partial_copies_of_dead_writers_are_swept(tmp_path: Path) -> None:
    from pipeline.files import sweep_partials

    (tmp_path / "2026" / "11").mkdir(parents=True)
    dead = tmp_path / "2026" / "11" / ".000001-a.docx.999999.part"
    live = tmp_path / "2026" / "11" / ".000002-b.docx.4242.part"
    mine = tmp_path / f".c.docx.{os.getpid()}.part"
    letter = tmp_path / "2026" / "11" / "000003-c.docx"
    for p in (dead, live, mine, letter):
        p.write_bytes(b"x")
    assert sweep_partials(tmp_path, recursive=True, alive=lambda pid: pid == 4242) == 1
    assert not dead.exists() and live.exists() and mine.exists() and letter.exists()
