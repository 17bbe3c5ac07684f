"""Legacy Word and WPS letters (.doc, .wps: OLE files), read by converting them to .docx.

LibreOffice converts (headless, its own user profile per conversion, a
timeout); the .docx reader then reads the result, so extraction and its
provenance work unchanged. Conversions are cached by the file's sha256 in a
private folder. LibreOffice is known to flatten some tables, so a conversion
that loses IDs must not pass silently: when antiword is installed, the IDs in
its own reading of the file (`-w 0` keeps 18-digit numbers whole) are compared
with the converted document's, and a difference blocks the letter.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline.document import Document, Paragraph, Table
from pipeline.errors import CorruptFile, UnsupportedFormat
from pipeline.privacy import mask_id

log = logging.getLogger("pipeline.reading.legacy")

TIMEOUT_SECONDS = 120
NOTE_CONVERTED = "来函为旧版 Word/WPS 格式（.doc/.wps），已自动转换为 .docx 后读取，请对照原件核对"
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


_cache_root: Path | None = None  # the office's setting (convert_cache); None: the default below


def use_cache_folder(folder: Path | None) -> None:
    """Where this process keeps its conversions (Settings.convert_cache, set once at start-up by
    whoever loaded the settings, and handed to reading children); None: the default."""
    global _cache_root
    _cache_root = folder


def cache_root() -> Path | None:
    return _cache_root


def cache_folder() -> Path:
    """Conversions hold personal data: a folder of this user's only."""
    folder = _cache_root or Path(tempfile.gettempdir()) / f"credit-letters-{os.getuid()}"
    folder = folder / "converted"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder.parent, 0o700)
    os.chmod(folder, 0o700)
    return folder


_FILTERS = {
    "docx": "docx:MS Word 2007 XML",
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "pdf": "pdf:writer_pdf_Export",
}
_LEGACY_SUFFIXES = {"docx": (".doc", ".wps"), "xlsx": (".xls", ".et"), "pdf": (".docx", ".doc", ".wps")}
_LABELS = {"docx": "旧版 .doc/.wps", "xlsx": "旧版 .xls/.et 表格", "pdf": "Word/WPS"}
MEMORY_BYTES = 3 * 1024**3  # the address space a conversion may take (the reading child's default)


def _limited() -> None:  # pragma: no cover - runs in the child between fork and exec
    """In LibreOffice's process, before it starts: its address space capped, low priority."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    os.nice(5)


def run_soffice(args: list[str], timeout: float) -> None:
    """LibreOffice in a process group of its own, memory-capped; on a timeout the whole group is killed,
    so no soffice.bin outlives its conversion (subprocess.run kills only the launcher)."""
    import signal

    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        start_new_session=True, preexec_fn=_limited,
    )  # fmt: skip
    try:
        proc.wait(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group (a forked soffice.bin)
        proc.wait()


def _within_bounds(path: Path) -> None:
    """A .docx whose parts inflate past the reader's bounds is refused before LibreOffice sees it."""
    import zipfile

    from pipeline.reading.docx_reader.tags import _MAX_PART_BYTES, _MAX_TOTAL_BYTES

    try:
        with zipfile.ZipFile(path) as zf:
            sizes = [info.file_size for info in zf.infolist()]
    except (OSError, zipfile.BadZipFile) as exc:
        raise CorruptFile(f"{path.name}: not a readable package ({exc})") from exc
    if max(sizes, default=0) > _MAX_PART_BYTES or sum(sizes) > _MAX_TOTAL_BYTES:
        raise CorruptFile(
            f"{path.name}: package inflates to {sum(sizes)} bytes, past the bounds",
            "文件解压后体积异常（可能是恶意构造的压缩包），已拒绝处理；请向来函单位索取正常的文件。",
        )


def convert(path: Path, target: str = "docx") -> Path:
    """The .docx (or, for an .xls/.et spreadsheet, the .xlsx; for the console, a Word letter's PDF)
    LibreOffice makes of `path`, from the cache when this file was converted before. Bounded: a
    package past the reader's bounds is refused first, and LibreOffice runs capped and timed."""
    label = _LABELS[target]
    data = path.read_bytes()
    cached = cache_folder() / f"{hashlib.sha256(data).hexdigest()}.{target}"
    if cached.is_file():
        return cached
    if data[:2] == b"PK":
        _within_bounds(path)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise UnsupportedFormat(
            f"{path.name}: legacy Word file and LibreOffice is not installed",
            f"该文件为 {label} 格式，本机未安装 LibreOffice，无法自动转换；请另存为 .{target} 后重新放入，"
            "或请系统管理员安装 libreoffice-writer。",
        )
    with tempfile.TemporaryDirectory(prefix="letters-convert-") as tmp:
        known = _LEGACY_SUFFIXES[target]
        src = Path(tmp) / f"letter{path.suffix.lower() if path.suffix.lower() in known else known[0]}"
        shutil.copyfile(path, src)
        try:
            run_soffice(
                [soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
                 "--convert-to", _FILTERS[target], "--outdir", tmp, str(src)],
                TIMEOUT_SECONDS,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise CorruptFile(
                f"{path.name}: LibreOffice conversion timed out after {TIMEOUT_SECONDS}s",
                f"{label} 文件转换超时，文件可能已损坏；请另存为 .{target} 后重新放入。",
            ) from None
        made = Path(tmp) / f"letter.{target}"
        if not made.is_file() or made.stat().st_size == 0:
            raise CorruptFile(
                f"{path.name}: LibreOffice could not convert it (encrypted or damaged)",
                f"{label} 文件无法转换（可能已加密或已损坏）；请向来函单位索取 .{target} 或 PDF 文件。",
            )
        part = cached.with_name(cached.name + f".{os.getpid()}.part")
        shutil.copyfile(made, part)
        os.chmod(part, 0o600)
        part.replace(cached)
    return cached


def _ids_in(document: Document) -> set[str]:
    text = []
    for block in document.blocks:
        if isinstance(block, Paragraph):
            text.append(block.text)
        elif isinstance(block, Table):
            text.extend(cell.text for row in block.rows for cell in row)
    return {m.upper() for m in _ID.findall(re.sub(r"\s+", "", "\n".join(text)))} | {
        m.upper() for t in text for m in _ID.findall(t)
    }


def second_reading(path: Path) -> set[str] | None:
    """The IDs antiword reads in the original (None when antiword is not installed or fails)."""
    antiword = shutil.which("antiword")
    if antiword is None:
        return None
    try:
        done = subprocess.run([antiword, "-w", "0", str(path)], capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    return {m.upper() for m in _ID.findall(done.stdout.decode("utf-8", "replace"))}


def read_legacy(path: Path) -> Document:
    """Convert, read as .docx, and compare the IDs with a second reading of the original."""
    from pipeline.reading.docx_reader import read_docx

    document = read_docx(convert(path))
    document.notes.append(NOTE_CONVERTED)
    other = second_reading(path)
    if other is not None:
        lost = sorted(other - _ids_in(document))
        if lost:
            log.warning("%s: conversion lost %d ID(s) that antiword reads", path.name, len(lost))
            document.problems.append(
                f"旧版格式转换后与原文件不一致：原文件中的身份证号码 {'、'.join(mask_id(i) for i in lost[:5])}"
                f"{'等' if len(lost) > 5 else ''}在转换结果中未找到，名单可能不完整，请对照原件核对"
            )
    return document
