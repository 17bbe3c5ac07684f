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
import zipfile
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

# Work on a list workbook is bounded by what its zip declares, before any XML is parsed. A real list
# (Excel's own limit is 1,048,576 rows) inflates to some hundreds of megabytes at a ratio of about
# 5-15; a bomb declares gigabytes, or compresses a thousandfold (a sheet of repeated empty cells,
# one shared string repeated millions of times).
MAX_XLSX_INFLATED = 2 * 1024**3  # every xl/ part together
MAX_SHARED_STRINGS = 512 * 1024**2  # openpyxl holds the shared strings in memory
MAX_RATIO = 100  # a part this much larger than its compressed size is no spreadsheet export
RATIO_FROM = 16 * 1024**2  # small parts may compress well (a few repeated styles)
MAX_LIST_COLUMNS = 200  # a list has a dozen columns; a declared A1:XFD1048576 is not read as such
_BOMB_ZH = "名单文件内部数据异常（解压后过大），不是正常导出的名单，原名单保持不变，请重新导出后再导入。"


def check_xlsx_package(path: Path) -> None:
    """Refuse a workbook whose declared sizes no list has, before openpyxl reads any of it."""
    try:
        with zipfile.ZipFile(path) as zf:
            parts = [i for i in zf.infolist() if i.filename.startswith("xl/")]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ListFileError(f"{path.name}: not a readable xlsx: {exc!r}", NOT_XLSX_ZH) from exc
    inflated = sum(i.file_size for i in parts)
    if inflated > MAX_XLSX_INFLATED:
        raise ListFileError(f"{path.name}: xl/ parts inflate to {inflated} bytes", _BOMB_ZH)
    for part in parts:
        bomb = part.file_size > RATIO_FROM and part.file_size > MAX_RATIO * max(part.compress_size, 1)
        strings = part.filename == "xl/sharedStrings.xml" and part.file_size > MAX_SHARED_STRINGS
        if bomb or strings:
            raise ListFileError(
                f"{path.name}: {part.filename} inflates to {part.file_size} bytes from {part.compress_size}",
                _BOMB_ZH,
            )


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

    check_xlsx_package(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises what zipfile, lxml and its own readers raise
        raise ListFileError(f"{path.name}: not a readable xlsx: {exc!r}", NOT_XLSX_ZH) from exc
    number = 0
    try:
        if not book.worksheets:
            raise ListFileError(f"{path.name}: workbook has no worksheet", NOT_XLSX_ZH)
        sheet = book.worksheets[0]
        total = min(sheet.max_row or 0, 1 << 20)  # for progress only: a declared size is not trusted
        # The sheet's declared dimension (A1:XFD1048576 in a row bomb) would pad every row to 16,384
        # cells: forget it, and read no more columns than a list can have.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(max_col=MAX_LIST_COLUMNS, values_only=True)
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
            cells = list(values)
            while cells and cells[-1] is None:  # the padding to MAX_LIST_COLUMNS, as CSV rows end
                cells.pop()
            yield number, cells
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
