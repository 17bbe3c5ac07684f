"""Letters of every new format through the watched inbox: each ends in the right state and no file is lost."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.inbox.run import Service
from pipeline.reading import ocr_reader
from pipeline.storage.models import Case
from tests.builders.bundle_builder import letter_without_roster, roster_xlsx, zip_of
from tests.builders.ofd_builder import NS, build_ofd
from tests.builders.scan_builder import build_fax, build_photo
from tests.service_helpers import wait_for
from tests.service_letters import spec_for
from tests.test_service_real import service  # noqa: F401  (the real service on a temporary office)


def cases(svc: Service) -> dict[str, Case]:
    with svc.db.sessions() as s:
        return {Path(c.original_name).name: c for c in s.execute(select(Case)).scalars()}


def final(svc: Service, count: int, timeout: float = 120) -> dict[str, Case]:
    wait_for(
        lambda: len(c := cases(svc)) == count and all(x.state not in ("received", "processing") for x in c.values()),
        timeout=timeout, what=f"{count} letters final",
    )  # fmt: skip
    return cases(svc)


def _letter_and_roster(n: int, folder: Path) -> tuple[Path, Path]:
    letter, _, roster = letter_without_roster(n, folder, people=3, name=f"src{n}.docx")
    return letter, roster_xlsx(roster, folder / f"src{n}.xlsx")


@pytest.mark.slow
def test_ofd_zip_and_folder_bundles_and_loose_rosters_end_in_the_right_state(
    service: Service,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    inbox = service.cases.folders.inbox
    work = tmp_path / "work"
    work.mkdir()
    build_ofd(spec_for(141), work / "电子公文.ofd").rename(inbox / "电子公文.ofd")
    encrypted = build_ofd(spec_for(142), work / "加密.ofd")
    with zipfile.ZipFile(encrypted, "a") as z:
        z.writestr("Encryptions.xml", f"<Encryptions xmlns='{NS}'/>")
    encrypted.rename(inbox / "加密.ofd")
    letter, roster = _letter_and_roster(143, work)
    zip_of(work / "带名单.zip", {"函.docx": letter, "拟聘用人员名单.xlsx": roster}).rename(
        inbox / "带名单.zip"
    )
    letter, roster = _letter_and_roster(144, work)
    folder = work / "某单位来函"
    folder.mkdir()
    shutil.copy(letter, folder / "关于查询的函.docx")
    shutil.copy(roster, folder / "拟聘用人员名单.xlsx")
    folder.rename(inbox / "某单位来函")  # the folder arrives whole, as a clerk drags it in
    roster_xlsx(spec_for(145).people, work / "名单.xlsx").rename(inbox / "只有名单.xlsx")

    got = final(service, 5)
    assert got["电子公文.ofd"].state == "replied"
    assert got["加密.ofd"].state == "failed" and "已加密" in got["加密.ofd"].error
    assert got["带名单.zip"].state == "replied"
    assert got["某单位来函.zip"].state == "replied"  # the folder: one case, its letter and roster packed
    assert got["只有名单.xlsx"].state == "failed" and "未找到与之一同发送的来函" in got["只有名单.xlsx"].error
    assert not (inbox / "某单位来函").exists()  # taken whole; the originals are inside the archived zip
    archived = [p for p in service.cases.folders.archive.rglob("*某单位来函.zip")]
    assert len(archived) == 1
    with zipfile.ZipFile(archived[0]) as z:
        assert sorted(z.namelist()) == ["关于查询的函.docx", "拟聘用人员名单.xlsx"]
        assert z.read("关于查询的函.docx") == letter.read_bytes()


@pytest.mark.slow
@pytest.mark.skipif(not ocr_reader.available(), reason="OCR models are not installed")
def test_photos_and_faxes_wait_for_a_clerk_with_their_letter_read(
    service: Service,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    inbox = service.cases.folders.inbox
    build_photo(spec_for(146, people=3), tmp_path / "photo.jpg").rename(inbox / "手机拍照.jpg")
    build_fax(spec_for(147, people=3), tmp_path / "fax.tiff", seal=False).rename(inbox / "传真.tiff")
    got = final(service, 2, timeout=180)
    for name in ("手机拍照.jpg", "传真.tiff"):
        case = got[name]
        assert case.state == "waiting_review", name  # scans wait for a clerk's confirmation (来自扫描件)
        assert case.unit == "陕西省人力资源和社会保障厅" and len(case.letter_json["people"]) == 3
