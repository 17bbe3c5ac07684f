"""One error tree for the whole pipeline.

Each error carries a Chinese message for the clerk (`message_zh`) and an
English one for the log (`str(exc)`), and fixes its own CLI exit code. The
library raises; the edges (CLI, watcher, web) turn errors into messages.
"""

from __future__ import annotations


class LettersError(Exception):
    """Base of every expected failure. Never shown as a traceback."""

    exit_code = 1
    default_zh = "处理失败。"

    def __init__(self, message: str = "", message_zh: str | None = None) -> None:
        super().__init__(message or self.__class__.__name__)
        self.message_zh = message_zh or self.default_zh


# --- reading -----------------------------------------------------------------


class UnreadableLetter(LettersError):
    """The file cannot be turned into a document."""

    exit_code = 3
    default_zh = "无法读取该文件。"


class EmptyFile(UnreadableLetter):
    default_zh = "文件为空（0 字节），请确认文件是否完整。"


class UnsupportedFormat(UnreadableLetter):
    default_zh = "不支持的文件格式：只能处理 .docx、PDF 或图片格式的来函。"


class CorruptFile(UnreadableLetter):
    default_zh = "文件已损坏，无法打开，请向来函单位索取完整文件。"


class EncryptedFile(UnreadableLetter):
    default_zh = "文件已加密或设有密码，无法读取，请向来函单位索取未加密的文件。"


class ScannedLetter(UnreadableLetter):
    """A PDF without a usable text layer and no OCR reader available."""

    exit_code = 4
    default_zh = "该文件为扫描件（无可识别的文字层），需要文字识别（OCR）后才能处理。"


class NotALetter(UnreadableLetter):
    """Readable, but nothing in it looks like a credit query letter."""

    exit_code = 5
    default_zh = "该文件不是信用记录查询函（未找到查询对象名单或函件要素），请人工核对。"


# --- configuration -------------------------------------------------------------


class ConfigError(LettersError):
    exit_code = 6
    default_zh = "配置有误，请联系系统管理员。"
