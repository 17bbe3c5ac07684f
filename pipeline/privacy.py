"""Personal-data helpers: nothing outside the database and the reply may
carry a full resident ID number."""

from __future__ import annotations

import os
import re
from pathlib import Path

_ID_RE = re.compile(r"(?<![0-9])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_OLD_ID_RE = re.compile(r"(?<![0-9])(\d{6})(\d{6})(\d{3})(?![0-9])")  # 15-digit IDs issued before 1999


def mask_id(id_number: str | None) -> str:
    """610102199001011234 -> 610102********1234 (region kept, birth date hidden)."""
    if not id_number:
        return ""
    text = str(id_number)
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_ids_in(text: str) -> str:
    """Mask every 18-digit ID inside free text (log lines, error notes)."""
    text = _ID_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(3)[-4:], text)
    return _OLD_ID_RE.sub(lambda m: m.group(1) + "*" * 6 + m.group(3), text)


def private_file(path: Path) -> Path:
    """Create (or tighten) a file so only its owner can read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path


def printable(text: str) -> str:
    """Text that can be written as UTF-8: a file name's undecodable bytes (a GBK name on a
    UTF-8 share arrives as surrogate escapes) become U+FFFD instead of failing the write."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            return text.encode("utf-8", "replace").decode("utf-8")
