"""Parsed batches of a list file, in this process or in a helper process.

Parsing a row (~5 µs) and inserting it into SQLite (~6 µs) both hold the GIL,
so threads cannot overlap them. For large files a helper process reads and
parses the file while the importing process only inserts: two cores. The
helper sends compact batches through a pipe, at most a batch ahead (memory
stays flat); any failure in it comes back as the same error, raised in the
importing process before the transaction commits, so the old snapshot stays
in force.
"""

from __future__ import annotations

import marshal
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import LettersError, ListFileError
from pipeline.records.columns import HEADER_SEARCH_ROWS, match_header, missing_columns_zh
from pipeline.records.guard import embedded_line_breaks, merged_reason, swallowed_rows
from pipeline.records.rows import Rejected, RowParser
from pipeline.records.source import FileFacts, Progress, read_rows

BATCH = 10_000
PARALLEL_MIN_BYTES = 5 * 1024 * 1024  # below this, process start-up (~0.3 s) outweighs the gain


@dataclass(slots=True)
class Batch:
    """Records are (line, name, name_key, id_number, masked, category, authority, doc_ref, listed_on, removed_on)."""

    records: list[tuple]
    rejected: list[tuple[int, str, list]] = field(default_factory=list)
    total: int = 0  # data rows seen, rejected ones included
    masked: int = 0
    progress: tuple[int, int] | None = None
    merged_lines: int = 0  # physical lines swallowed into a record by an unpaired quote
    last_line: int = 0  # the last physical line the parser reached so far


def find_header(rows: Iterator[tuple[int, list]], path: Path) -> tuple[int, list, dict[str, int]]:
    """(line, cells, column positions) of the header row."""
    for line, cells in rows:
        columns = match_header(cells)
        if columns is not None:
            return line, cells, columns
        if line >= HEADER_SEARCH_ROWS:
            break
    raise ListFileError(f"{path.name}: no header row", missing_columns_zh())


def _batches(
    rows: Iterator[tuple[int, list]],
    columns: dict[str, int],
    progress_of: list,
    file_lines: int | None,
    header_line: int,
) -> Generator[Batch, None, None]:
    """The parse loop, shared by both paths; `progress_of` holds the source's latest (done, total).

    `file_lines` is set for CSV, whose rows are physical lines: a row whose cells hold
    line breaks spanned several of them, and one whose cells hold further rows swallowed them.
    """
    parse = RowParser(columns)
    batch = Batch([])
    records = batch.records
    last_line = header_line
    for line, cells in rows:
        last_line = line
        if file_lines is not None and ("\n" in (joined := "".join(cells)) or "\r" in joined):
            last_line = min(line + embedded_line_breaks(cells), file_lines)
            if swallowed_rows(cells):  # never a record: its fields hold other rows
                batch.total += 1
                batch.merged_lines += last_line - line
                batch.rejected.append((line, merged_reason(line, last_line), cells))
                continue
        try:
            values = parse(cells)
        except Rejected as exc:
            if not any(c is not None and str(c).strip() for c in cells):
                continue  # blank line: not a row of data
            batch.total += 1
            batch.rejected.append((line, str(exc), cells))
            continue
        batch.total += 1
        records.append((line, *values))
        batch.masked += values[3]
        if len(records) >= BATCH:
            batch.progress = progress_of[0]
            batch.last_line = last_line
            yield batch
            batch = Batch([])
            records = batch.records
    batch.progress = progress_of[0]
    batch.last_line = last_line
    yield batch


def _tracker(progress_of: list, progress: Progress | None) -> Progress:
    def track(done: int, total: int) -> None:
        progress_of[0] = (done, total)
        if progress is not None:
            progress(done, total)

    return track


def parsed_batches(
    path: Path, facts: FileFacts, progress: Progress | None = None
) -> tuple[list, Generator[Batch, None, None]]:
    """(header cells, batches). Raises ListFileError at once when there is no header."""
    if facts.size >= PARALLEL_MIN_BYTES:
        return _in_helper(path, facts, progress)
    progress_of: list = [None]
    rows = read_rows(path, facts, _tracker(progress_of, progress))
    line, header, columns = find_header(rows, path)
    return header, _batches(rows, columns, progress_of, facts.lines, line)


# --- the helper process ------------------------------------------------------
# A plain `python -m pipeline.records.helper` child, not multiprocessing: spawn
# and forkserver re-import the caller's __main__ (a script without a main guard
# would start imports of its own), and fork would inherit the watcher's threads.
# Frames on its stdout: 4-byte length + pickle. The pipe is the bounded queue:
# the helper blocks once it is a batch ahead, so memory stays flat.

_FRAME = struct.Struct("<I")


def _error_message(exc: BaseException) -> tuple:
    if isinstance(exc, LettersError):
        return ("error", type(exc), str(exc), exc.message_zh)
    try:
        return ("raise", pickle.dumps(exc))
    except Exception:  # an unpicklable error: its text is enough
        return ("raise", pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}")))


def _helper(path: Path, facts: FileFacts, out: BinaryIO) -> None:
    """Runs in the helper process: header, then marshalled record batches, then 'done'."""

    def send(message: tuple) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_FRAME.pack(len(data)))
        out.write(data)
        out.flush()

    try:
        progress_of: list = [None]
        rows = read_rows(path, facts, _tracker(progress_of, None))
        line, header, columns = find_header(rows, path)
        send(("header", header))
        for batch in _batches(rows, columns, progress_of, facts.lines, line):
            # marshal: records hold only str/int/bool/None, and it is faster than pickle both ways
            records = marshal.dumps(batch.records)
            send(
                (
                    "batch",
                    records,
                    batch.rejected,
                    batch.total,
                    batch.masked,
                    batch.progress,
                    batch.merged_lines,
                    batch.last_line,
                )
            )
        send(("done",))
    except BrokenPipeError:
        pass  # the importing process gave up; nothing to tell it
    except BaseException as exc:
        send(_error_message(exc))


def _in_helper(
    path: Path, facts: FileFacts, progress: Progress | None
) -> tuple[list, Generator[Batch, None, None]]:
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    helper = subprocess.Popen(
        [sys.executable, "-m", "pipeline.records.helper"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        assert helper.stdin is not None and helper.stdout is not None
        helper.stdin.write(pickle.dumps((path, facts)))
        helper.stdin.close()
        first = _receive(helper, path)
        if first[0] != "header":
            _raise(first, path)
    except BaseException:
        _stop(helper)
        raise
    return first[1], _received(helper, path, progress)


def _received(
    helper: subprocess.Popen, path: Path, progress: Progress | None
) -> Generator[Batch, None, None]:
    try:
        while True:
            message = _receive(helper, path)
            kind = message[0]
            if kind == "done":
                return
            if kind != "batch":
                _raise(message, path)
            _, records, rejected, total, masked, done, merged_lines, last_line = message
            if progress is not None and done is not None:
                progress(*done)
            yield Batch(marshal.loads(records), rejected, total, masked, done, merged_lines, last_line)
    finally:
        _stop(helper)


def _receive(helper: subprocess.Popen, path: Path) -> tuple:
    assert helper.stdout is not None
    head = helper.stdout.read(_FRAME.size)
    size = _FRAME.unpack(head)[0] if len(head) == _FRAME.size else -1
    data = helper.stdout.read(size) if size >= 0 else b""
    if size < 0 or len(data) != size:
        raise ListFileError(
            f"{path.name}: the parsing process ended unexpectedly (exit code {helper.wait()})",
            "读取名单文件的进程意外退出（可能内存不足），原名单保持不变，请重试。",
        )
    return pickle.loads(data)


def _raise(message: tuple, path: Path) -> None:
    if message[0] == "error":
        _, cls, text, text_zh = message
        raise cls(text, text_zh)
    if message[0] == "raise":
        raise pickle.loads(message[1])
    raise ListFileError(f"{path.name}: unexpected message {message[0]!r}")


def _stop(helper: subprocess.Popen) -> None:
    """End the helper whatever happened: a finished one exits, an abandoned one is killed."""
    if helper.poll() is None:
        helper.kill()
    helper.wait()
    if helper.stdout is not None:
        helper.stdout.close()


def serve() -> None:
    """The helper's entry point (pipeline/records/helper.py): job on stdin, frames on stdout."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not corrupt the frames
    sys.stdout = sys.stderr
    path, facts = pickle.load(sys.stdin.buffer)
    with out:
        _helper(path, facts, out)
