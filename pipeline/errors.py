"""One error tree for the whole pipeline.

Each error carries a Chinese message for the clerk (`message_zh`) and an
English one for the log (`str(exc)`), and fixes its own CLI exit code. The
library raises; the edges (CLI, watcher, web) turn errors into messages.
Every error class of the package is here, and every exit code in ExitCode.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    """What the `letters` command exits with (docs/architecture.md lists them)."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    UNREADABLE = 3
    SCANNED_NO_OCR = 4
    NOT_A_LETTER = 5
    CONFIG = 6
    LIST_FILE = 7
    LIST_HELD = 8
    DATABASE = 9
    WAITING_REVIEW = 10
    DUPLICATE = 11  # `letters process`: the same bytes were answered before (see --again)
    NOT_ALLOWED = 12  # wrong password, disabled or locked account, or a role the action needs
    AUDIT_BROKEN = 13  # `letters audit verify`: the hash chain does not hold (an edit, a cut tail)
    INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT
    BROKEN_PIPE = 141  # what a shell reports for a command ended by SIGPIPE


class FailureKind(StrEnum):
    """Why a case failed, as a stored code beside its Chinese text: what the console offers for a
    failed case (attach a loose roster, show or refuse to draw the original) is decided by the code,
    so rewording a message never changes it."""

    UNREADABLE = "unreadable"  # damaged, encrypted, empty, a format no reader takes
    SCANNED = "scanned"  # a scan with no OCR to read it
    NOT_A_LETTER = "not_a_letter"  # read whole, but no query letter in it
    LOOSE_ROSTER = "loose_roster"  # a roster without the letter it belongs to
    REFUSED = "refused"  # the reader refused it: past a work bound, or the reader died on it
    CONFIG = "config"  # an installation problem (OCR models missing, settings)
    FILE_MOVED = "file_moved"  # the inbox file was moved or replaced before it was archived
    CRASHED = "crashed"  # the service died reading it twice
    RETRIES = "retries"  # a passing fault that did not pass
    INTERNAL = "internal"  # an unexpected fault (logged)

    @property
    def read_whole(self) -> bool:
        """The reader read the file whole and nothing in it was refused: safe to draw in the console."""
        return self in (FailureKind.NOT_A_LETTER, FailureKind.LOOSE_ROSTER)


# The one wording of an unexpected failure, wherever a clerk meets it.
INTERNAL_ERROR_ZH = "系统内部错误，已记录日志，请联系系统管理员。"


class LettersError(Exception):
    """Base of every expected failure. Never shown as a traceback."""

    exit_code: int = ExitCode.INTERNAL
    failure = FailureKind.INTERNAL  # stored on a case this error fails
    default_zh = "处理失败。"

    def __init__(self, message: str = "", message_zh: str | None = None) -> None:
        super().__init__(message or self.__class__.__name__)
        self.message_zh = message_zh or self.default_zh

    def __reduce__(self) -> tuple:
        """Both messages survive pickling (a letter read in a child process raises in the service)."""
        return (self.__class__, (str(self), self.message_zh))


# --- reading -----------------------------------------------------------------


class UnreadableLetter(LettersError):
    """The file cannot be turned into a document."""

    exit_code = ExitCode.UNREADABLE
    failure = FailureKind.UNREADABLE
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

    exit_code = ExitCode.SCANNED_NO_OCR
    failure = FailureKind.SCANNED
    default_zh = "该文件为扫描件（无可识别的文字层），需要文字识别（OCR）后才能处理。"


class NotALetter(UnreadableLetter):
    """Readable, but nothing in it looks like a credit query letter."""

    exit_code = ExitCode.NOT_A_LETTER
    failure = FailureKind.NOT_A_LETTER
    default_zh = "该文件不是信用记录查询函（未找到查询对象名单或函件要素），请人工核对。"


class ReaderFailed(CorruptFile):
    """The child process reading the file died, ran out of memory or of time (pipeline.cases.isolation)."""

    failure = FailureKind.REFUSED


class LooseAttachment(NotALetter):
    """Only a roster (a spreadsheet, an attachment), without the letter it belongs to."""

    failure = FailureKind.LOOSE_ROSTER

    default_zh = (
        "收到的是名单附件（电子表格或名单文件），未找到与之一同发送的来函；请将来函与名单放在同一子文件夹"
        "（或压缩为一个 .zip）后重新放入收件箱，或联系来函单位补发来函。"
    )


# --- configuration -------------------------------------------------------------


class ConfigError(LettersError):
    exit_code = ExitCode.CONFIG
    failure = FailureKind.CONFIG
    default_zh = "配置有误，请联系系统管理员。"


class NumbersBehind(ConfigError):
    """The database's reply 文号 counter is below numbers already issued: it was lost or restored from an
    old backup (pipeline.cases.numbering); an administrator must confirm before letters are taken."""


class NumbersOrphaned(ConfigError):
    """A reply or letter carrying a 文号 the database has no record of was found in the outbox or the
    results (pipeline.cases.numbering): an administrator accounts for it before letters are taken."""


class OcrModelsMissing(ConfigError):
    """The OCR packages or their bundled model files are not installed."""

    default_zh = "文字识别（OCR）组件或模型文件缺失，无法处理扫描件。请联系系统管理员重新安装 OCR 组件。"


class DatabaseBusy(LettersError):
    """Another process holds the write lock longer than the busy timeout (an import, a backup)."""

    exit_code = ExitCode.DATABASE
    default_zh = "数据库正忙，请稍后重试。"


class DatabaseUnreachable(LettersError):
    """The database server cannot be reached (PostgreSQL down, wrong host or password)."""

    exit_code = ExitCode.DATABASE
    default_zh = "无法连接数据库：请检查数据库服务是否在运行，以及 letters.toml 中的 database_url 配置。"


# --- requests from a person ------------------------------------------------------


class UsageError(LettersError):
    """A request that cannot be carried out as asked (a bad value, a missing reason)."""

    exit_code = ExitCode.USAGE
    default_zh = "请求无效。"


class InvalidRequest(UsageError):
    """A review or case request the case's state or rules refuse."""


class ClaimLost(InvalidRequest):
    """The case is no longer held by the work that was about to record it (another person or
    worker finished it meanwhile): nothing is recorded and nothing goes out."""


class CaseNotFound(UsageError):
    default_zh = "找不到该案件。"


# --- accounts --------------------------------------------------------------------


class NotAllowed(LettersError):
    """The person is not who they say, or may not do this (专人管理、分级授权)."""

    exit_code = ExitCode.NOT_ALLOWED
    default_zh = "无权执行该操作。"


class AuthenticationFailed(NotAllowed):
    default_zh = "用户名或密码错误。"


# --- lists -----------------------------------------------------------------------


class ListFileError(LettersError):
    """A list file that cannot be imported at all (nothing is changed)."""

    exit_code = ExitCode.LIST_FILE
    default_zh = "名单文件无法导入。"


class ListStoreMissing(LettersError):
    """A snapshot in force whose records' store is gone: a check must fail, never answer 'clear'."""

    exit_code = ExitCode.LIST_FILE
    default_zh = "名单数据文件缺失，无法查询，请管理员重新导入该名单。"


class ListSnapshotHeld(LettersError):
    """The file was imported but its snapshot is held, not in force (see records/guard.py)."""

    exit_code = ExitCode.LIST_HELD
    default_zh = "名单新版本未启用，原名单继续有效，待管理员核实后确认。"


# --- the reply -------------------------------------------------------------------


class ReplyTemplateError(ConfigError):
    """The reply template is missing, broken, or uses a variable we do not fill: refuse, never render."""

    default_zh = "复函模板有误，请联系系统管理员。"


class ReplyFontError(ConfigError):
    """No CJK TrueType font for the PDF reply."""

    default_zh = (
        "未找到可用于 PDF 复函的中文字体：请安装 fonts-wqy-zenhei 或在 letters.toml 的 fonts 中配置字体路径。"
    )


class ReplyContentError(LettersError):
    """The reply would say something it must not (an unchecked result, an unconsulted list)."""

    default_zh = "复函内容不符合要求，不能出具复函。"


class ReplyMismatch(LettersError):
    """A rendered reply read back differs from what it should say: it is never sent."""

    default_zh = "复函生成后核对不一致，不能出具复函，请联系系统管理员。"
