"""Tell a file's type from its bytes, never from its name."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Literal

FileType = Literal["docx", "pdf", "image", "doc", "zip", "empty", "unknown"]

_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"II*\x00",  # TIFF little-endian
    b"MM\x00*",  # TIFF big-endian
    b"BM",  # BMP
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / encrypted OOXML


def sniff(path: Path) -> FileType:
    with path.open("rb") as fh:
        head = fh.read(2048)
    if not head:
        return "empty"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError):
            return "zip"
        if "word/document.xml" in names or any(n.endswith("/document.xml") for n in names):
            return "docx"
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "doc"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image"
    if any(head.startswith(m) for m in _IMAGE_MAGIC):
        return "image"
    return "unknown"
