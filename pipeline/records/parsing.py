"""Parsing a list file into its snapshot's store, in this process or in a helper process.

The job reads the file, turns rows into records (fast_rows for the common clean row, RowParser
for every other) and writes them into the snapshot's store (records/store.py); what it reports
back is only what the import needs to decide and to log: counts, rejected rows, progress. For
large files the job runs in a helper process while the importing process waits on the pipe, so
parsing, writing and the index build never compete with the service's own threads for the GIL.
Any failure comes back as the same error, raised in the importing process before the snapshot
is put in force, so the old one stays in force; a half-built store is removed.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import struct
import subprocess
import sys
from collections import Counter
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pcsv

from pipeline.errors import LettersError, ListFileError
from pipeline.records.columns import HEADER_SEARCH_ROWS, match_header, missing_columns_zh
from pipeline.records.fast_rows import spans_lines, split_batch
from pipeline.records.guard import embedded_line_breaks, merged_reason, swallowed_rows
from pipeline.records.rows import Rejected, RowParser
from pipeline.records.source import CountingReader, FileFacts, Progress, read_rows, sniff_delimiter
from pipeline.records.store import COLUMNS, StoreTarget, ThreadedBuilder

BATCH = 10_000  # rows per batch on the row-by-row path
FAST_BLOCK = 1 << 20  # bytes of CSV per Arrow batch (about 9,000 rows); the reader holds several: memory
PARALLEL_MIN_BYTES = 5 * 1024 * 1024  # below this, process start-up (~0.3 s) outweighs the gain


@dataclass(slots=True)
class Batch:
    """What one batch of rows came to; its records are already in the store."""

    imported: int = 0
    rejected: list[tuple[int, str, list]] = field(default_factory=list)
    total: int = 0  # data rows seen, rejected ones included
    masked: int = 0
    progress: tuple[int, int] | None = None
    merged_lines: int = 0  # physical lines swallowed into a record by an unpaired quote
    last_line: int = 0  # the last physical line the parser reached so far
    categories: Counter = field(default_factory=Counter)  # records per 名单类别
    restart: bool = False  # the fast path gave up: forget every batch before this one


class _GiveUp(Exception):
    """The fast path cannot read this file faithfully; the row-by-row path reads it instead."""


def find_header(rows: Iterator[tuple[int, list]], path: Path) -> tuple[int, list, dict[str, int]]:
    """(line, cells, column positions) of the header row."""
    for line, cells in rows:
        columns = match_header(cells)
        if columns is not None:
            return line, cells, columns
        if line >= HEADER_SEARCH_ROWS:
            break
    raise ListFileError(f"{path.name}: no header row", missing_columns_zh())


def _take(parse: RowParser, batch: Batch, records: list, line: int, cells: list) -> None:
    """One row into `records`, or into the batch's rejections with its reason."""
    try:
        values = parse(cells)
    except Rejected as exc:
        if not any(c is not None and str(c).strip() for c in cells):
            return  # blank line: not a row of data
        batch.total += 1
        batch.rejected.append((line, str(exc), cells))
        return
    batch.total += 1
    records.append((line, *values))
    batch.imported += 1
    batch.masked += values[3]
    batch.categories[values[4]] += 1


def _table(records: list[tuple]) -> pa.Table:
    """Row-by-row records as the Arrow table the store takes."""
    columns = list(zip(*records, strict=True)) if records else [()] * len(COLUMNS)
    return pa.table(
        {
            name: pa.array(values, type=kind)
            for name, values, kind in zip(COLUMNS, columns, _TYPES, strict=True)
        }
    )


_TYPES = (pa.int64(), pa.string(), pa.string(), pa.string(), pa.bool_(), *[pa.string()] * 5)


def _row_batches(
    rows: Iterator[tuple[int, list]],
    columns: dict[str, int],
    progress_of: list,
    file_lines: int | None,
    header_line: int,
) -> Generator[tuple[Batch, list], None, None]:
    """The row-by-row parse loop: (summary, records) per batch; `progress_of` holds the source's
    latest (done, total).

    `file_lines` is set for CSV, whose rows are physical lines: a row whose cells hold
    line breaks spanned several of them, and one whose cells hold further rows swallowed them.
    """
    parse = RowParser(columns)
    batch = Batch()
    records: list[tuple] = []
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
        _take(parse, batch, records, line, cells)
        if len(records) >= BATCH:
            batch.progress = progress_of[0]
            batch.last_line = last_line
            yield batch, records
            batch, records = Batch(), []
    batch.progress = progress_of[0]
    batch.last_line = last_line
    yield batch, records


def _fast_batches(
    path: Path, facts: FileFacts, columns: dict[str, int], header_line: int, width: int
) -> Generator[tuple[Batch, pa.Table], None, None]:
    """Arrow's CSV reader and fast_rows, a block at a time: (summary, records table) per batch.

    Raises _GiveUp where its rows would not be the row-by-row path's: a value spanning lines, a
    row of another width, bytes that are not UTF-8.
    """
    names = [f"c{i}" for i in range(width)]
    size = path.stat().st_size
    stack = ExitStack()
    counter = CountingReader(stack.enter_context(path.open("rb")))  # type: ignore[arg-type]
    try:
        reader = pcsv.open_csv(
            counter,
            read_options=pcsv.ReadOptions(
                column_names=names, skip_rows=header_line, block_size=FAST_BLOCK, use_threads=False
            ),
            parse_options=pcsv.ParseOptions(
                delimiter=sniff_delimiter(path, facts.encoding or "utf-8-sig"),
                newlines_in_values=facts.quotes,
                ignore_empty_lines=False,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError, UnicodeError) as exc:
        stack.close()
        raise _GiveUp(str(exc)) from exc
    parse = RowParser(columns)
    today = dt.date.today()
    line = header_line + 1
    with stack, reader:
        while True:
            try:
                block = reader.read_next_batch()
            except StopIteration:
                yield Batch(last_line=line - 1, progress=(size, size)), _table([])
                return
            except (pa.ArrowInvalid, UnicodeError) as exc:
                raise _GiveUp(str(exc)) from exc
            if facts.quotes and spans_lines(block):
                raise _GiveUp("a value spans lines")
            accepted, others = split_batch(block, columns, line, today)
            batch = Batch(imported=accepted.num_rows, total=accepted.num_rows)
            batch.categories.update(
                {row["values"]: row["counts"] for row in accepted["category"].value_counts().to_pylist()}
            )
            records: list = []
            for number, cells in others:
                _take(parse, batch, records, number, cells)
            line += block.num_rows
            batch.last_line = line - 1
            batch.progress = (min(counter.count, size), size)
            yield batch, (pa.concat_tables([accepted, _table(records)]) if records else accepted)


def _fast_header(path: Path, facts: FileFacts) -> tuple[int, list, dict[str, int]] | None:
    """The header, when the fast path can read the file: UTF-8 CSV in which no row before the
    data spans lines (Arrow skips rows, the line numbers count lines)."""
    if facts.encoding != "utf-8-sig" or facts.lines is None:
        return None
    rows = read_rows(path, facts)
    seen = 0

    def counted() -> Iterator[tuple[int, list]]:
        nonlocal seen
        for item in rows:
            seen += 1
            yield item

    try:
        line, header, columns = find_header(counted(), path)
    finally:
        rows.close()  # type: ignore[attr-defined]
    return (line, header, columns) if seen == line else None


def _fill(
    target: StoreTarget, batches: Iterator[tuple[Batch, pa.Table]], progress: Progress | None = None
) -> Generator[Batch, None, None]:
    """Each batch's records into the store, its summary out (and to `progress`); the store is
    finished at the end and removed if anything fails (the error goes on)."""
    builder = ThreadedBuilder(target)
    try:
        for batch, table in batches:
            builder.append(table)
            if progress is not None and batch.progress is not None:
                progress(*batch.progress)
            yield batch
        builder.finish()
    except BaseException:
        builder.abort()
        raise


def store_batches(
    path: Path, facts: FileFacts, target: StoreTarget, progress: Progress | None = None
) -> Generator[list | Batch, None, None]:
    """The job: yields the header cells first, then a summary per batch while the store fills;
    the store is complete (indexed, in place) when the generator ends, and removed if it fails."""
    fast = _fast_header(path, facts)
    if fast is not None:
        line, header, columns = fast
        yield header
        try:
            yield from _fill(target, _fast_batches(path, facts, columns, line, len(header)), progress)
            return
        except _GiveUp:
            yield Batch(restart=True)  # the store is gone; the row-by-row path builds it again
    progress_of: list = [None]
    rows = read_rows(path, facts, _tracker(progress_of, progress))
    line, header, columns = find_header(rows, path)
    if fast is None:
        yield header
    batches = _row_batches(rows, columns, progress_of, facts.lines, line)  # progress: read_rows reports it
    yield from _fill(target, ((batch, _table(records)) for batch, records in batches))


def _tracker(progress_of: list, progress: Progress | None) -> Progress:
    def track(done: int, total: int) -> None:
        progress_of[0] = (done, total)
        if progress is not None:
            progress(done, total)

    return track


def parsed_batches(
    path: Path, facts: FileFacts, target: StoreTarget, progress: Progress | None = None
) -> tuple[list, Generator[Batch, None, None]]:
    """(header cells, batch summaries) while the job fills `target`. Raises ListFileError at once
    when there is no header."""
    if facts.size >= PARALLEL_MIN_BYTES:
        return _in_helper(path, facts, target, progress)
    job = store_batches(path, facts, target, progress)
    header = next(job)
    assert isinstance(header, list)
    return header, job  # type: ignore[return-value]


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


def _helper(path: Path, facts: FileFacts, target: StoreTarget, out: BinaryIO) -> None:
    """Runs in the helper process: header, then batch summaries, then 'done' once the store is in place."""

    def send(message: tuple) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_FRAME.pack(len(data)))
        out.write(data)
        out.flush()

    try:
        for item in store_batches(path, facts, target):
            send(("header", item) if isinstance(item, list) else ("batch", item))
        send(("done",))
    except BrokenPipeError:
        pass  # the importing process gave up; nothing to tell it
    except BaseException as exc:
        send(_error_message(exc))


def _in_helper(
    path: Path, facts: FileFacts, target: StoreTarget, progress: Progress | None
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
        helper.stdin.write(pickle.dumps((path, facts, target)))
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
            batch: Batch = message[1]
            if progress is not None and batch.progress is not None:
                progress(*batch.progress)
            yield batch
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
    path, facts, target = pickle.load(sys.stdin.buffer)
    with out:
        _helper(path, facts, target, out)
