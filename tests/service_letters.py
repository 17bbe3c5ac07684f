"""Real letters for service tests and the bench: .docx and text PDFs built in code, plus a list.

Each letter gets its own 文号 and people, so no two are the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from pipeline.records import import_list
from pipeline.settings import Settings
from pipeline.storage import Database
from tests.builders.docx_builder import build_docx
from tests.builders.pdf_builder import build_pdf
from tests.builders.spec import LetterSpec, make_id

ROOT = Path(__file__).resolve().parents[1]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
LISTED = ("赵六", make_id("610402", "19760724", "307"))


def person(seed: int) -> tuple[str, str]:
    name = SURNAMES[seed % len(SURNAMES)] + GIVEN[(seed // len(SURNAMES)) % len(GIVEN)]
    born = dt.date(1970, 1, 1) + dt.timedelta(days=(seed * 37) % 12000)
    return name, make_id("610102", f"{born:%Y%m%d}", f"{seed % 1000:03d}")


def spec_for(n: int, people: int = 3, *, kind: str = "public_institution", hit: bool = False) -> LetterSpec:
    roster = [person(n * 100 + i) for i in range(people)]
    if hit:
        roster[0] = LISTED
    return LetterSpec(kind=kind, doc_number=f"陕人社函〔2026〕{n + 1}号", people=roster)  # type: ignore[arg-type]


def write_letter(path: Path, spec: LetterSpec) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return build_pdf(spec, path) if path.suffix == ".pdf" else build_docx(spec, path)


def write_bad(path: Path, n: int) -> Path:
    """A file no reader can take: empty (n == 0), a corrupt zip or a broken PDF; distinct bytes for each n."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if n == 0:
        path.write_bytes(b"")
    elif n % 2:
        path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4 + str(n).encode())
    else:
        path.write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n" + str(n).encode() * 50)
    return path


def import_records(db: Database, settings: Settings, folder: Path) -> None:
    """A fresh list holding the one listed person (the letters' other people are clear)."""
    path = folder / "records.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "身份证号码", "名单类别", "认定部门", "认定文书号", "列入日期", "移出日期"])
        writer.writerow(
            [LISTED[0], LISTED[1], "失信被执行人", "西安市中级人民法院", "(2020)陕01执1号", "2020-01-02", ""]
        )
    import_list(db.sessions, path, settings, list_name="失信被执行人")
