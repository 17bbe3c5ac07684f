"""A letter that came with its attachments, as one .zip: the letter read, each attachment read beside it.

Offices often send the roster apart from the letter, as a spreadsheet or a
second document. A zip holding one letter and its attachments is one case
(a subfolder of the inbox is packed into such a zip by the intake). Which
member is the letter: the one document whose name is not an attachment's
(名单, 附件, 花名册 …); spreadsheets are always attachments. Members are
read in a private temporary folder under bounded sizes; their names, often
GBK from Chinese Windows, are decoded and never used as paths.
"""

from __future__ import annotations

import contextlib
import logging
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from pipeline.document import Attachment, Document
from pipeline.errors import CorruptFile, LettersError, LooseAttachment, NotALetter, UnreadableLetter

log = logging.getLogger("pipeline.reading.bundle")

MAX_MEMBERS = 30
MAX_MEMBER_BYTES = 60 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
ATTACHMENT_NAME = re.compile(r"名单|附件|花名册|人员信息|信息表|明细|汇总表|一览表|人员表")
_SUFFIX = re.compile(r"\.[a-z0-9]+")  # kept (a .csv is told by its name), never the rest of the name
_SKIPPED = re.compile(r"(^|/)(__MACOSX|\.)|(^|/)(thumbs\.db|desktop\.ini)$|^~\$|\.(tmp|part)$", re.I)

NOTE_ATTACHMENTS = "来函随附文件：{names}"
LOOSE_ATTACHMENT = (
    "收到的是名单附件（{names}），未找到与之一同发送的来函；请将来函与名单放在同一子文件夹"
    "（或压缩为一个 .zip）后重新放入收件箱，或联系来函单位补发来函"
)


def member_name(info: zipfile.ZipInfo) -> str:
    """The name as the sender's system wrote it: zips from Chinese Windows hold GBK without saying so."""
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gb18030")
    return name.replace("\\", "/")


def is_attachment_name(name: str) -> bool:
    return bool(ATTACHMENT_NAME.search(PurePosixPath(name).stem))


def letter_candidates(documents: list[str], *, sheets: bool) -> list[str]:
    """Which of a bundle's documents (not spreadsheets) may be its letter: those not named as
    attachments, or a lone document named 附件… when it is all there is."""
    letters = [n for n in documents if not is_attachment_name(n)]
    return documents if not letters and len(documents) == 1 and not sheets else letters


def read_bundle(path: Path, read_document: Callable[[Path], Document]) -> Document:
    """The letter's Document with `attachments` filled, each member read by `read_document` (the
    dispatcher). Raises LooseAttachment when no letter is inside."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir() and not _SKIPPED.search(member_name(i))]
            if any(
                i.filename == "[Content_Types].xml" for i in infos
            ):  # an Office file with its body missing
                raise CorruptFile(f"{path.name}: zip archive that is not a Word document")
            if not infos:
                raise CorruptFile(
                    f"{path.name}: zip holds no files", "压缩包中没有任何文件，请向来函单位索取完整文件。"
                )
            if (
                len(infos) > MAX_MEMBERS
                or any(i.file_size > MAX_MEMBER_BYTES for i in infos)
                or (sum(i.file_size for i in infos) > MAX_TOTAL_BYTES)
            ):
                raise CorruptFile(
                    f"{path.name}: zip too large ({len(infos)} members, {sum(i.file_size for i in infos)} bytes)",
                    "压缩包内文件过多或过大，不像一封来函及其附件，请只放入来函和名单后重新提供。",
                )
            with tempfile.TemporaryDirectory(prefix="credit-letters-bundle-") as tmp:
                read: list[tuple[str, Document | None, LettersError | None]] = []
                for n, info in enumerate(infos):
                    name = member_name(info)
                    suffix = PurePosixPath(name).suffix.lower()[:8]
                    member = Path(tmp) / f"{n:02d}{suffix if _SUFFIX.fullmatch(suffix) else ''}"
                    try:
                        member.write_bytes(zf.read(info))
                    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
                        raise CorruptFile(f"{path.name}: member cannot be unpacked ({exc})",
                                          "压缩包已损坏或已加密，无法解开，请向来函单位索取完整文件。") from exc  # fmt: skip
                    try:
                        if _is_zip_bundle(member):
                            raise NotALetter("nested zip", "压缩包中又有压缩包，请解开后只放入来函和名单。")
                        document = read_document(member)
                        shown = PurePosixPath(name).name
                        document.notes = [n.replace(member.name, shown) for n in document.notes]
                        read.append((shown, document, None))
                    except UnreadableLetter as exc:
                        read.append((PurePosixPath(name).name, None, exc))
    except zipfile.BadZipFile as exc:
        raise CorruptFile(f"{path.name}: zip cannot be opened ({exc})") from exc
    return _assemble(path, read)


SHEET_SUFFIXES = (".xlsx", ".xls", ".et", ".csv")


def letter_in(path: Path) -> tuple[str, bytes] | None:
    """The letter member of a bundle zip, for showing it (the console): the one document not named as an
    attachment, by the same rule the reader applies; None when there is not exactly one."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [
                i for i in zf.infolist()
                if not i.is_dir() and not _SKIPPED.search(member_name(i)) and i.file_size <= MAX_MEMBER_BYTES
            ]  # fmt: skip
            documents = {
                PurePosixPath(member_name(i)).name: i
                for i in infos
                if PurePosixPath(member_name(i)).suffix.lower() not in SHEET_SUFFIXES
            }
            letters = letter_candidates(list(documents), sheets=len(documents) < len(infos))
            if len(letters) != 1:
                return None
            return letters[0], zf.read(documents[letters[0]])
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
        return None


def _is_zip_bundle(member: Path) -> bool:
    from pipeline.reading.sniff import sniff

    return sniff(member) == "zip"


def _assemble(path: Path, read: list[tuple[str, Document | None, LettersError | None]]) -> Document:
    sheets = [(n, d) for n, d, _ in read if d is not None and d.source_type == "sheet"]
    documents = [(n, d) for n, d, _ in read if d is not None and d.source_type != "sheet"]
    names = letter_candidates([n for n, _ in documents], sheets=bool(sheets))
    letters = [(n, d) for n, d in documents if n in names]
    if len(letters) > 1:
        listed = "、".join(n for n, _ in letters)
        raise NotALetter(
            f"{path.name}: {len(letters)} letters in one zip",
            f"压缩包中有多份来函（{listed}），无法确定答复哪一份；请每个压缩包（或子文件夹）只放一封来函及其名单。",
        )
    failed = [(n, e) for n, d, e in read if d is None]
    if not letters:
        if failed and not sheets and not documents:
            if len(failed) == 1:
                raise failed[0][1]  # type: ignore[misc]  # the one file there is could not be read
            raise CorruptFile(
                f"{path.name}: no member of the zip could be read",
                "压缩包中没有可读取的来函（.docx、PDF、OFD 或图片），请向来函单位索取来函文件。",
            )
        loose = "、".join(n for n, _ in [*sheets, *documents]) or "、".join(n for n, _ in failed)
        raise LooseAttachment(
            f"{path.name}: attachments without a letter", LOOSE_ATTACHMENT.format(names=loose)
        )
    name, letter = letters[0]
    attachments = [Attachment(n, d) for n, d in [*documents, *sheets] if n != name or d is not letter]
    letter.attachments = attachments
    if attachments:
        letter.notes.append(NOTE_ATTACHMENTS.format(names="、".join(a.name for a in attachments)))
    for n, exc in failed:
        letter.problems.append(f"随函附件“{n}”无法读取：{exc.message_zh}")  # type: ignore[union-attr]
    log.info("%s: letter %s with %d attachment(s)", path.name, name, len(attachments))
    return letter
