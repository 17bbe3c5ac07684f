"""Reading list files as a stream of (line number, cells), whatever the format.

CSV: UTF-8 (with or without BOM) is tried strictly first, GB18030 (a superset
of GBK) otherwise. XLSX: openpyxl in read-only mode, row by row. Neither ever
holds the whole file in memory.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ListFileError

CHUNK = 1 << 20
Progress = Callable[[int, int], None]  # (done, total) in the unit the source counts


@dataclass(slots=True)
class FileFacts:
    sha256: str
    size: int
    encoding: str | None  # CSV only
    lines: int | None = None  # CSV only: physical lines, as csv.reader counts them (\n, \r\n or \r)
    quotes: bool = True  # CSV only: the file holds a quote character (a value may then span lines)


XLSX_SUFFIXES = (".xlsx", ".xlsm")


def inspect_file(path: Path) -> FileFacts:
    """Hash the file and, for CSV, find its encoding and count its lines — one streaming pass.

    The hash runs on a thread of its own (hashlib releases the GIL), beside the decoding and
    counting: at 2 GB, the national list, that halves the pass.
    """
    digest = hashlib.sha256()
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
    hasher = threading.Thread(target=_hash, args=(digest, chunks), name="list-hash", daemon=True)
    hasher.start()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")("strict")
    is_utf8 = True
    size = breaks = 0
    nul = False
    quotes = False
    last = b""
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                chunks.put(chunk)
                size += len(chunk)
                # Neither UTF-8 nor GB18030 uses CR or LF inside a multi-byte character.
                breaks += chunk.count(b"\n")
                if b"\r" in chunk:
                    breaks += chunk.count(b"\r") - chunk.count(b"\r\n")
                if last == b"\r" and chunk[:1] == b"\n":
                    breaks -= 1
                last = chunk[-1:]
                nul = nul or b"\x00" in chunk
                quotes = quotes or b'"' in chunk  # never inside a UTF-8 or GB18030 multi-byte character
                if is_utf8:
                    try:
                        utf8.decode(chunk)
                    except UnicodeDecodeError:
                        is_utf8 = False
    finally:
        chunks.put(None)
        hasher.join()
    if is_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    if is_xlsx(path):
        return FileFacts(digest.hexdigest(), size, None)
    if nul:  # no text export holds NUL bytes: a binary file, or a spreadsheet saved under .csv
        raise ListFileError(
            f"{path.name}: binary content (NUL bytes), not a CSV text file",
            "名单文件不是文本格式的 CSV（含有二进制内容），请导出为 CSV（UTF-8 或 GBK）或 .xlsx 后再导入。",
        )
    lines = breaks + (1 if size and last not in (b"\n", b"\r") else 0)
    return FileFacts(digest.hexdigest(), size, "utf-8-sig" if is_utf8 else "gb18030", lines, quotes)


def _hash(digest: Any, chunks: queue.Queue[bytes | None]) -> None:
    while (chunk := chunks.get()) is not None:
        digest.update(chunk)


def is_xlsx(path: Path) -> bool:
    """By content; a file named .xlsx that is no zip package is refused rather than read as CSV."""
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ListFileError(
            f"{path.name}: legacy .xls", "名单文件为旧版 Excel（.xls）格式，请另存为 .xlsx 或 CSV 后再导入。"
        )
    if magic[:4] == b"PK\x03\x04":
        return True
    if path.suffix.lower() in XLSX_SUFFIXES:
        raise ListFileError(f"{path.name}: named .xlsx but not a zip package", NOT_XLSX_ZH)
    return False


NOT_XLSX_ZH = "名单文件不是有效的 Excel（.xlsx）文件（文件已损坏或并非 Excel 格式），原名单保持不变。"


class CountingReader(io.RawIOBase):
    """Counts bytes read so the progress bar can follow a text stream."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        n = self.raw.readinto(buffer)
        self.count += n or 0
        return n or 0


def sniff_delimiter(path: Path, encoding: str) -> str:
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        sample = fh.read(64 * 1024)
    lines = [line for line in sample.splitlines() if line.strip()][:40]
    best, count = ",", 0
    for delimiter in (",", "\t", ";", "|"):
        n = max((line.count(delimiter) for line in lines), default=0)
        if n > count:
            best, count = delimiter, n
    return best


def csv_rows(path: Path, encoding: str, progress: Progress | None = None) -> Iterator[tuple[int, list]]:
    """(physical line number, cells) for every CSV row."""
    delimiter = sniff_delimiter(path, encoding)
    total = path.stat().st_size
    with path.open("rb") as binary:
        counter = CountingReader(binary)  # type: ignore[arg-type]
        text = io.TextIOWrapper(io.BufferedReader(counter, CHUNK), encoding=encoding, newline="")
        reader = csv.reader(text, delimiter=delimiter)
        line = 1
        try:
            for index, cells in enumerate(reader):
                yield line, cells
                line = reader.line_num + 1
                if progress is not None and index % 8192 == 0:
                    progress(counter.count, total)
        except UnicodeDecodeError as exc:
            raise ListFileError(
                f"{path.name}: undecodable bytes near line {line}",
                f"名单文件第{line}行附近含有无法识别的字符（既不是 UTF-8 也不是 GBK/GB18030 编码），请重新导出。",
            ) from exc
        except csv.Error as exc:
            raise ListFileError(
                f"{path.name}: CSV error near line {line}: {exc}",
                f"名单文件第{line}行附近格式错误（{exc}），请检查引号是否成对。",
            ) from exc
        if progress is not None:
            progress(total, total)


def xlsx_rows(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, list]]:
    """(row number, cell values) for every row of the first worksheet."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises what zipfile, lxml and its own readers raise
        raise ListFileError(f"{path.name}: not a readable xlsx: {exc!r}", NOT_XLSX_ZH) from exc
    number = 0
    try:
        if not book.worksheets:
            raise ListFileError(f"{path.name}: workbook has no worksheet", NOT_XLSX_ZH)
        sheet = book.worksheets[0]
        total = sheet.max_row or 0
        rows = sheet.iter_rows(values_only=True)
        while True:
            try:
                values = next(rows)
            except StopIteration:
                break
            except Exception as exc:  # a damaged sheet part, found only while streaming it
                raise ListFileError(
                    f"{path.name}: damaged worksheet near row {number + 1}: {exc!r}",
                    f"名单文件第{number + 1}行附近已损坏，无法读取，原名单保持不变，请重新导出。",
                ) from exc
            number += 1
            yield number, list(values)
            if progress is not None and number % 8192 == 0:
                progress(number, max(total, number))
        if progress is not None:
            progress(total, total)
    finally:
        book.close()


def read_rows(path: Path, facts: FileFacts, progress: Progress | None = None) -> Iterator[tuple[int, list]]:
    if facts.encoding is None:
        return xlsx_rows(path, progress)
    return csv_rows(path, facts.encoding, progress)
