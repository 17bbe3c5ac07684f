"""Legacy Word letters (.doc / .wps): converted through LibreOffice, read as .docx, cross-checked."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.errors import CorruptFile, NotALetter, UnreadableLetter, UnsupportedFormat
from pipeline.extraction import extract
from pipeline.reading import legacy, read_document
from tests.builders.docx_builder import build_docx
from tests.needs import needs_soffice
from tests.service_letters import spec_for


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.reading.legacy._cache_root", tmp_path / "cache")


def _soffice(tmp_path: Path, target: str, source: Path) -> Path:
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", target,
         "--outdir", str(source.parent), str(source)],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    return source.with_suffix(f".{target}")


def as_doc(tmp_path: Path, n: int, suffix: str = ".doc", *, flattening: bool = False) -> tuple[Path, object]:
    """A letter saved in the old Word format, as an office would. Saved straight from .docx, LibreOffice
    writes a table its own .doc import then flattens into one paragraph (`flattening`); saved from
    .odt, the table survives."""
    spec = spec_for(n, people=6)
    source = build_docx(spec, tmp_path / f"src{n}.docx")
    made = _soffice(tmp_path, "doc", source if flattening else _soffice(tmp_path, "odt", source))
    return made.rename(made.with_suffix(suffix)), spec


@pytest.mark.slow
@needs_soffice
@pytest.mark.parametrize("suffix", [".doc", ".wps"])
def test_a_legacy_word_letter_is_read_like_its_docx(tmp_path: Path, suffix: str) -> None:
    path, spec = as_doc(tmp_path, 901, suffix)
    letter = extract(read_document(path))
    assert [(p.name, p.id_number) for p in letter.people] == spec.people  # type: ignore[attr-defined]
    assert letter.unit == spec.unit and letter.doc_number == spec.doc_number  # type: ignore[attr-defined]
    assert legacy.NOTE_CONVERTED in letter.notes and not letter.problems
    cached = list((tmp_path / "cache" / "converted").iterdir())
    assert len(cached) == 1 and cached[0].stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
@needs_soffice
def test_a_conversion_is_cached_by_the_files_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = as_doc(tmp_path, 902)
    first = legacy.convert(path)
    monkeypatch.setattr(legacy.shutil, "which", lambda name: None)  # no LibreOffice needed the second time
    assert legacy.convert(path) == first


@pytest.mark.slow
@needs_soffice
@pytest.mark.skipif(shutil.which("antiword") is None, reason="antiword is not installed (CI installs it)")
def test_a_conversion_that_flattens_the_roster_table_holds_the_letter(tmp_path: Path) -> None:
    """LibreOffice is known to flatten some tables: the IDs antiword reads in the original are missing
    from the converted document, and the letter waits for a clerk instead of passing as 0 people."""
    path, spec = as_doc(tmp_path, 903, flattening=True)
    assert {p[1] for p in spec.people} <= (legacy.second_reading(path) or set())  # type: ignore[attr-defined]
    document = read_document(path)
    assert any("转换后与原文件不一致" in p for p in document.problems)
    assert spec.people[0][1] not in " ".join(document.problems)  # type: ignore[attr-defined]  # masked


@pytest.mark.slow
@needs_soffice
def test_an_id_lost_in_conversion_is_named_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, spec = as_doc(tmp_path, 904)
    ids = {p[1] for p in spec.people}  # type: ignore[attr-defined]
    monkeypatch.setattr(legacy, "second_reading", lambda _: {*ids, "110101199003071234"})  # a row that went
    document = read_document(path)
    assert any("110101********1234" in p for p in document.problems)
    monkeypatch.setattr(legacy, "second_reading", lambda _: ids)
    assert not read_document(path).problems


def test_without_libreoffice_a_legacy_letter_is_refused_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000))
    monkeypatch.setattr(legacy.shutil, "which", lambda name: None)
    with pytest.raises(UnsupportedFormat) as refused:
        read_document(path)
    assert "LibreOffice" in refused.value.message_zh and ".docx" in refused.value.message_zh


@pytest.mark.slow
@needs_soffice
def test_a_damaged_legacy_file_fails_with_a_chinese_reason(tmp_path: Path) -> None:
    """LibreOffice either refuses it or reads it as noise; either way no letter comes out of it."""
    path = tmp_path / "broken.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8)
    with pytest.raises(UnreadableLetter) as failed:
        extract(read_document(path))
    assert isinstance(failed.value, CorruptFile | NotALetter) and failed.value.message_zh
