"""Letters that come with their roster as an attachment: spreadsheets and zips made in code.

roster_xlsx(people, tmp_path / "名单.xlsx", numeric_ids=True)  # IDs stored as numbers, as Excel does
zip_of(tmp_path / "来函.zip", {"函.docx": letter, "名单.xlsx": roster}, gbk_names=True)
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

HEADER = ["序号", "姓名", "性别", "身份证号码", "拟录用单位"]


def letter_without_roster(n: int, folder: Path, people: int = 4, name: str | None = None):  # type: ignore[no-untyped-def]
    """A .docx letter whose roster went into an attachment: (its path, its spec, the roster it lacks)."""
    from tests.builders.docx_builder import build_docx
    from tests.service_letters import spec_for

    spec = spec_for(n, people=people)
    roster = list(spec.people)
    spec.people = []
    spec.attachment_line = "附件：2024年度拟录用人员名单"
    return build_docx(spec, folder / (name or f"letter{n}.docx")), spec, roster


def roster_xlsx(
    people: list[tuple[str, str]],
    path: Path,
    *,
    numeric_ids: bool = False,
    number_format: str | None = None,
    title_rows: int = 0,
) -> Path:
    """A roster workbook. `numeric_ids` stores each ID as a number (Excel keeps 15 digits), shown
    with `number_format` (None: General, i.e. 6.10102E+17)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for _ in range(title_rows):
        ws.append(["2024年度拟录用人员名单"])
    ws.append(HEADER)
    for k, (name, number) in enumerate(people, 1):
        value: object = int(number[:15] + "000") if numeric_ids and number[:-1].isdigit() else number
        ws.append([k, name, "女", value, "西安市发展和改革委员会"])
        if numeric_ids and number_format:
            ws.cell(row=ws.max_row, column=4).number_format = number_format
    wb.save(path)
    return path


def roster_csv(
    people: list[tuple[str, str]], path: Path, *, encoding: str = "gb18030", ids: list[str] | None = None
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for k, (name, number) in enumerate(people, 1):
        writer.writerow([k, name, "男", (ids or [])[k - 1] if ids else number, "西安市发展和改革委员会"])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def zip_of(path: Path, members: dict[str, Path | bytes], *, gbk_names: bool = False) -> Path:
    """A zip of `members` (name in the zip -> file or bytes); `gbk_names` writes the names in GBK
    without the UTF-8 flag, as Chinese Windows' built-in zip does."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, member in members.items():
            data = member.read_bytes() if isinstance(member, Path) else member
            info = _GbkInfo(name) if gbk_names else zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


class _GbkInfo(zipfile.ZipInfo):
    """A member whose name is written in GBK, without the UTF-8 flag (zipfile itself would write UTF-8)."""

    def _encodeFilenameFlags(self):  # zipfile's own name
        return self.filename.encode("gbk"), self.flag_bits & ~0x800
