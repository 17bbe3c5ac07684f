"""A roster sent as a spreadsheet (.xlsx, .xls, WPS .et, .csv) -> a Document of tables, one per sheet.

Cells read as Excel shows them, so an ID stored as a number reads the way the
sender saw it (6.10102E+17, or 610102199001011000 with a number format) and
carries `numeric`: Excel keeps 15 significant digits, so the last digits of
such an ID are gone and must never be guessed. .xls and .et (OLE) go through
LibreOffice to .xlsx first. Work is bounded before it is spent: the inflated
size of the parts, sheets, rows and columns.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import zipfile
from decimal import Decimal
from pathlib import Path

from pipeline.document import Cell, Document, Location, Table
from pipeline.errors import CorruptFile, EncryptedFile

log = logging.getLogger("pipeline.reading.sheet_reader")

MAX_INFLATED = 60 * 1024 * 1024  # a roster workbook is kilobytes; shared strings bombs are gigabytes
MAX_SHEETS = 20
MAX_ROWS = 5000
MAX_COLS = 40
NOTE_SHEET = "名单为电子表格（{name}），已按表格读取"

_DAMAGED = "电子表格文件已损坏或不完整，无法读取，请向来函单位索取完整文件。"


def excel_display(value: float | int, number_format: str | None) -> str:
    """A number as Excel shows it: General gives at most 11 characters (6.10102E+17 for an ID),
    a number format such as "0" all the digits Excel kept."""
    fmt = (number_format or "General").strip()
    if fmt.lower() == "general" and abs(value) >= 1e11:
        mantissa, exponent = f"{value:.5E}".split("E")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}E{exponent[0]}{int(exponent[1:]):02d}"
    if float(value).is_integer():
        # Excel keeps 15 significant digits: 610102199001011234 is stored, and shown, as 610102199001011000
        return str(int(Decimal(format(value, ".15g")))) if abs(value) >= 1e15 else str(int(value))
    return repr(float(value))


def _text(value: object, number_format: str | None) -> tuple[str, bool]:
    if value is None:
        return "", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, int | float):
        return excel_display(value, number_format), True
    if isinstance(value, dt.datetime):
        return (value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")), False
    if isinstance(value, dt.date):
        return value.isoformat(), False
    return str(value).strip(), False


def _table(rows: list[list[tuple[str, bool]]], index: int) -> Table | None:
    while rows and not any(t for t, _ in rows[-1]):
        rows.pop()  # empty trailing rows
    if not rows:
        return None
    width = max(len(r) for r in rows)
    while width and not any(len(r) >= width and r[width - 1][0] for r in rows):
        width -= 1  # empty trailing columns
    grid = [
        [Cell(t, Location(table=index, row=r, col=c), numeric=n) for c, (t, n) in enumerate(row[:width])]
        + [Cell("", Location(table=index, row=r, col=c)) for c in range(len(row), width)]
        for r, row in enumerate(rows)
    ]
    return Table(grid, Location(table=index))


def _check_package(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise CorruptFile(f"{path.name}: spreadsheet zip cannot be opened ({exc})", _DAMAGED) from exc
    inflated = sum(i.file_size for i in infos if i.filename.startswith("xl/"))
    if inflated > MAX_INFLATED:
        raise CorruptFile(
            f"{path.name}: spreadsheet parts inflate to {inflated} bytes (limit {MAX_INFLATED})",
            "该电子表格内部数据异常（内容过大），无法读取，请向来函单位索取正常的名单文件。",
        )
    if any(i.filename == "EncryptionInfo" for i in infos):
        raise EncryptedFile(
            f"{path.name}: encrypted workbook", "该电子表格已加密，无法读取，请向来函单位索取未加密的文件。"
        )


def read_xlsx(path: Path, *, shown_as: str | None = None) -> Document:
    from openpyxl import load_workbook

    path = Path(path)
    _check_package(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on bad input
        raise CorruptFile(f"{path.name}: workbook cannot be read ({type(exc).__name__})", _DAMAGED) from exc
    blocks: list[Table] = []
    notes: list[str] = []
    try:
        for sheet in workbook.worksheets[:MAX_SHEETS]:
            rows: list[list[tuple[str, bool]]] = []
            for r, row in enumerate(sheet.iter_rows(max_col=MAX_COLS)):
                if r >= MAX_ROWS:
                    notes.append(f"工作表“{sheet.title}”超过{MAX_ROWS}行，只读取了前{MAX_ROWS}行，请核对")
                    break
                rows.append([_text(c.value, getattr(c, "number_format", None)) for c in row])
            table = _table(rows, len(blocks))
            if table is not None:
                blocks.append(table)
    except Exception as exc:
        raise CorruptFile(f"{path.name}: sheet cannot be read ({type(exc).__name__})", _DAMAGED) from exc
    finally:
        workbook.close()
    notes.insert(0, NOTE_SHEET.format(name=shown_as or path.name))
    return Document(blocks=list(blocks), source_type="sheet", page_count=None, notes=notes)


def read_legacy_sheet(path: Path) -> Document:
    """.xls / WPS .et: converted by LibreOffice (cached), then read as .xlsx."""
    from pipeline.reading.legacy import convert

    return read_xlsx(convert(path, "xlsx"), shown_as=Path(path).name)


def read_csv(path: Path) -> Document:
    path = Path(path)
    data = path.read_bytes()[:MAX_INFLATED]
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.decode(data, encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise CorruptFile(
            f"{path.name}: CSV in an unknown encoding",
            "该 CSV 名单文件的编码无法识别，请另存为 UTF-8 或 .xlsx 后重新提供。",
        )
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;|，")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    rows = [
        [(c.strip(), False) for c in row[:MAX_COLS]]
        for row in list(csv.reader(io.StringIO(text), dialect))[:MAX_ROWS]
    ]
    table = _table(rows, 0)
    return Document(
        blocks=[table] if table else [], source_type="sheet", notes=[NOTE_SHEET.format(name=path.name)]
    )
