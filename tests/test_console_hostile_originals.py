"""A hostile or broken original opened in the console costs nothing and stops nothing.

Found trying the console as an attacker would: opening a zip-bomb .docx case (290 KB) ran LibreOffice
inside the request with no limits; after the 120 s timeout soffice.bin was orphaned and grew without
bound, and every further view started another. And a failed case made from a corrupt PDF answered 500
on its page, so a clerk could neither close nor re-process it from the console.
"""

from __future__ import annotations

import os
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.errors import CorruptFile
from pipeline.reading import legacy
from pipeline.storage.models import Case
from tests.builders.docx_builder import build_docx
from tests.service_letters import spec_for
from tests.test_web_pages import Desk


def _zip_bomb_docx(path: Path) -> Path:
    """A real letter whose main part inflates to ~100 MB of repeated paragraphs (a ~100 KB file)."""
    letter = build_docx(spec_for(81), path.with_name("real.docx"))
    with zipfile.ZipFile(letter) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                head, tail = data.split(b"</w:body>")
                para = b"<w:p><w:r><w:t>" + b"A" * 1000 + b"</w:t></w:r></w:p>"
                data = head + para * 100_000 + b"</w:body>" + tail
            dst.writestr(info, data)
    return path


def _state(ctx, case_id: int) -> str:  # type: ignore[no-untyped-def]
    with ctx.db.sessions() as s:
        return s.get(Case, case_id).state  # type: ignore[union-attr]


@pytest.mark.slow
def test_a_zip_bomb_docx_opened_in_the_console_is_shown_as_refused_and_never_converted(
    web, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    ctx, intake, app = web
    bomb = _zip_bomb_docx(intake.folders.inbox / "bomb.docx")
    assert bomb.stat().st_size < 400_000
    case_id = intake.handle_file(bomb)
    assert case_id is not None and _state(ctx, case_id) == "failed"  # the reader refused it, bounded

    def never(*_a, **_k):  # type: ignore[no-untyped-def]
        raise AssertionError("the console converted a file the reader refused")

    monkeypatch.setattr(legacy, "run_soffice", never)
    clerk = Desk(app, "wangfang")
    page = clerk.get(f"/cases/{case_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "原件无法显示" in text and "读取时已拒绝该文件" in text
    assert clerk.get(f"/cases/{case_id}/pages/1").status_code == 404
    assert clerk.post(f"/cases/{case_id}/close", reason="恶意文件，已电话联系来函单位重发").status_code == 302
    assert _state(ctx, case_id) == "closed"


def test_the_converter_refuses_a_package_past_the_bounds_before_libreoffice(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("pipeline.reading.legacy._cache_root", tmp_path / "cache")
    monkeypatch.setattr(legacy, "run_soffice", lambda *_a, **_k: pytest.fail("LibreOffice started"))
    with pytest.raises(CorruptFile) as refused:
        legacy.convert(_zip_bomb_docx(tmp_path / "bomb.docx"), "pdf")
    assert "解压后体积异常" in refused.value.message_zh


@pytest.mark.slow
def test_a_conversion_that_times_out_leaves_no_process_behind(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Stands for soffice: a launcher that forks a worker (as soffice forks soffice.bin) and hangs."""
    marker = f"letters-orphan-{os.getpid()}-{time.monotonic_ns()}"
    script = tmp_path / "fake-soffice.sh"
    script.write_text(f"#!/bin/sh\nsh -c 'exec -a {marker} sleep 600' &\nsleep 600\n", encoding="utf-8")
    script.chmod(0o700)
    with pytest.raises(subprocess.TimeoutExpired):
        legacy.run_soffice([str(script)], timeout=1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False).stdout
        if not left.strip():
            break
        time.sleep(0.2)
    assert not left.strip(), "a forked worker outlived its conversion"


def test_a_failed_case_from_a_corrupt_pdf_has_a_working_page(web) -> None:  # type: ignore[no-untyped-def]
    ctx, intake, app = web
    path = intake.folders.inbox / "corrupt.pdf"
    path.write_bytes(
        b"%PDF-1.7\n1 0 obj <</Type/Catalog/Pages 9 0 R>> endobj\n" + os.urandom(3000) + b"\n%%EOF\n"
    )
    case_id = intake.handle_file(path)
    assert case_id is not None and _state(ctx, case_id) == "failed"
    clerk = Desk(app, "wangfang")
    page = clerk.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "原件无法显示" in page.get_data(as_text=True)
    assert "重新处理" in page.get_data(as_text=True)  # the actions are there
    assert clerk.post(f"/cases/{case_id}/close", reason="文件损坏，已请来函单位重发").status_code == 302


def test_an_original_that_cannot_be_drawn_leaves_the_case_page_working(web, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A waiting case whose original pdfium cannot open (damaged after it was read): 原件无法显示."""
    from pipeline.web import pages
    from tests.review_office import drop

    ctx, intake, app = web
    case_id = drop(intake, "fine.docx", spec_for(82, kind="civil_servant", hit=True))
    broken = Path(ctx.settings.path(ctx.settings.data_dir)) / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n garbage \n%%EOF")
    monkeypatch.setattr(pages, "as_pdf", lambda *_a: broken)
    clerk = Desk(app, "wangfang")
    page = clerk.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "原件无法显示" in page.get_data(as_text=True)
    assert clerk.get(f"/cases/{case_id}/pages/1").status_code == 404
