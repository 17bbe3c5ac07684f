"""One settings object for the whole service, validated at start-up.

Sources, later wins: built-in defaults < the settings file < environment
variables LETTERS_<FIELD> (e.g. LETTERS_DATABASE_URL, LETTERS_FRESHNESS_DAYS).
The settings file is found the way administrators expect: LETTERS_CONFIG,
else `letters.toml` in the working folder, else the system-wide
/etc/credit-letters/letters.toml. With none of them, a command runs only in a
project folder: anywhere else it would quietly create an empty database there
and answer letters against no lists. Every field is listed with its help text
so docs/settings.md is generated from it (scripts/reference_docs.py).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError


def _help(text: str, **kw: Any) -> Any:
    return field(metadata={"help": text}, **kw)


@dataclass
class Settings:
    base_dir: Path = _help("folder that relative paths below are taken from", default=Path("."))
    inbox: Path = _help(
        "folder the watcher reads letters from (subfolders allowed: a folder of a letter and its attachments is one case)",
        default=Path("inbox"),
    )
    outbox: Path = _help("folder finished replies are written to", default=Path("outbox"))
    archive: Path = _help(
        "folder originals are kept in (archive/YYYY/MM/), copied and hash-checked, never altered",
        default=Path("archive"),
    )
    failed: Path = _help(
        "folder unreadable files are moved to, each with a note (.原因.txt) saying why",
        default=Path("failed"),
    )
    duplicates: Path = _help(
        "folder re-sent identical files are moved to, with a note naming the earlier case",
        default=Path("duplicates"),
    )
    lists_dir: Path = _help(
        "folder an administrator drops list exports into; the watcher imports them (docs/running-the-service.md)",
        default=Path("lists"),
    )
    data_dir: Path = _help(
        "folder for the SQLite database, the list stores (lists/), result JSON files and import reports",
        default=Path("data"),
    )
    log_file: Path = _help(
        "JSON-lines log file, rotated; ID numbers masked", default=Path("logs/letters.log")
    )
    templates: Path = _help(
        "folder of the .docx letter templates (docs/reply-template.md); the packaged defaults serve when it has none",
        default=Path("letter_templates"),
    )
    holidays_file: Path = _help(
        "holiday arrangements for years chinesecalendar does not know; update it each December",
        default=Path("holidays.toml"),
    )
    database_url: str = _help(
        "SQLAlchemy URL; empty means the embedded SQLite file data/letters.db; postgresql+psycopg://… works too",
        default="",
    )
    office_name: str = _help("signing office on replies", default="陕西省信息中心（陕西省信用办）")
    seal_wording: str = _help(
        "printed after the office's name where the seal goes, e.g. （印章） on letters sent without a seal",
        default="",
    )
    office_level: str = _help(
        "province (省信息中心（省信用办）: an objection goes to 国家公共信用信息中心 for 异议复核 within 3 "
        "working days, and the unit is told within 3 working days of its result) or city "
        "(市级社会信用体系建设牵头部门: the unit is told the review result within 3 working days of receipt)",
        default="province",
    )
    reply_prefix: str = _help("prefix of the reply's own 文号 (陕信用函〔2026〕15号)", default="陕信用函")
    masthead: bool = _help(
        "print the red 发文机关标志 and rules (GB/T 9704 信函格式) for offices without letterhead paper",
        default=False,
    )
    masthead_name: str = _help("the name in the masthead (empty: office_name)", default="")
    contact_name: str = _help("contact person printed on replies", default="")
    contact_phone: str = _help("contact phone printed on replies", default="029-63918210")
    freshness_days: int = _help(
        "a list older than this many days is stale and never yields 'clear'", default=7
    )
    list_shrink_share: float = _help(
        "a new list snapshot with more than this share fewer records than the one in force is held",
        default=0.05,
    )
    list_unexplained_loss: bool = _help(
        "also hold a new snapshot that loses more records than it rejects", default=True
    )
    fonts: list[str] = _help(
        "TrueType fonts for PDF replies, tried before the system's (paths)", default_factory=list
    )
    lists_civil_servant: list[str] = _help(
        "lists consulted for civil-servant queries (empty = all)", default_factory=list
    )
    lists_public_institution: list[str] = _help(
        "lists consulted for public-institution queries (empty = all)", default_factory=list
    )
    workers: int = _help("letters processed at once by the watcher", default=2)
    read_in_child: bool = _help(
        "the watcher reads letters (OCR included) in spawned child processes under memory and time limits: "
        "a bomb or a native fault costs the child, and only its own letter fails",
        default=True,
    )
    reader_memory_mb: int = _help("address-space limit of a reading child process (MB)", default=3072)
    reader_seconds: float = _help("a letter's reading is stopped after this long (seconds)", default=300.0)
    stable_seconds: float = _help("a file must be quiet this long before it is taken", default=2.0)
    incomplete_wait_seconds: float = _help(
        "a young file that does not end as its format ends (no %EOF, no zip directory: still being "
        "copied) is looked at again later; only once unchanged this long is it taken as it is",
        default=60.0,
    )
    poll: bool = _help("poll the inbox instead of file events (network shares)", default=False)
    poll_seconds: float = _help("polling interval", default=2.0)
    rescan_seconds: float = _help("full rescan interval, for anything missed", default=60.0)
    reply_file_mode: str = _help(
        "permission bits of the published .docx/.pdf replies (octal), e.g. 0640 so the office's group can "
        "collect them from a share; the result JSON (full IDs) is always 0600 in data/results/",
        default="0600",
    )
    review_preview: bool = _help(
        "a reply a person worked on goes out only after a person has previewed it and released exactly "
        "what they saw (console: 预览并发出; CLI: `letters review preview`, then `approve --seen`)",
        default=True,
    )
    ocr_auto_answer: bool = _help(
        "answer clean scanned letters without a clerk's confirmation", default=False
    )
    spot_check_share: float = _help(
        "share of automatically answered replies drawn for 抽查抽检 after release (every reply with a hit is "
        "drawn too); the draw is a keyed hash of the case, with the seed in data/spot-check.seed",
        default=0.05,
    )
    convert_cache: str = _help(
        "folder where LibreOffice's conversions of .doc/.wps/.xls letters are kept, by content "
        "(personal data: owner-only); empty: credit-letters-<uid> in the system's temporary folder",
        default="",
    )
    web_address: str = _help("host:port the clerks' web console listens on", default="127.0.0.1:8080")
    web_idle_minutes: int = _help("a console session ends after this many idle minutes", default=30)
    web_proxy_hops: int = _help(
        "reverse proxies in front of the console whose X-Forwarded-For is trusted (0: none)", default=0
    )
    web_https: bool = _help(
        "the console is reached over HTTPS (a TLS proxy in front): its session cookie is sent over HTTPS only",
        default=False,
    )

    def __post_init__(self) -> None:
        # Every path in the program is absolute: a relative base_dir (the default ".") would
        # leave relative paths behind, and Path.as_uri() (list stores) refuses those.
        self.base_dir = Path(os.path.abspath(Path(self.base_dir).expanduser()))

    def path(self, value: Path) -> Path:
        """Resolve a configured folder against base_dir."""
        return value if value.is_absolute() else self.base_dir / value

    @property
    def signature(self) -> str:
        """The signing line of every letter: the office's name and the seal wording."""
        return f"{self.office_name}{self.seal_wording}"

    @property
    def reply_mode(self) -> int:
        return int(self.reply_file_mode, 8)

    def holidays_path(self) -> Path:
        """The configured holiday file, or the packaged one (pipeline/defaults/)."""
        from pipeline.defaults import HOLIDAYS

        return self.shipped(
            self.path(self.holidays_file), self.holidays_file == Settings.holidays_file, HOLIDAYS
        )

    @staticmethod
    def shipped(configured: Path, at_default: bool, packaged: Path) -> Path:
        """`configured`, or the `packaged` copy when the setting is left at its default and the
        folder has no file of its own (an installed `letters` run outside a project folder)."""
        return packaged if at_default and not configured.exists() else configured

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.path(self.data_dir) / 'letters.db'}"

    def convert_cache_path(self) -> Path | None:
        return self.path(Path(self.convert_cache)) if self.convert_cache else None

    def lists_for(self, kind: str) -> list[str]:
        return list(getattr(self, f"lists_{kind}", []) or [])


def _coerce(name: str, raw: Any, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            value = int(raw)
            if value < 0:
                raise ValueError(raw)
            return value
        if isinstance(default, float):
            value = float(raw)
            if value < 0:
                raise ValueError(raw)
            return value
        if isinstance(default, Path):
            return Path(str(raw)).expanduser()
        if isinstance(default, list):
            if isinstance(raw, str):
                return [p.strip() for p in raw.split(",") if p.strip()]
            return [str(p) for p in raw]
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"setting {name}: invalid value {raw!r}",
            f"配置项 {name} 的取值无效：{raw!r}，请检查 letters.toml 或环境变量 LETTERS_{name.upper()}。",
        ) from exc


SYSTEM_CONFIG = Path("/etc/credit-letters/letters.toml")
CONFIG_NAME = "letters.toml"


def find_config(env: dict[str, str], cwd: Path) -> Path | None:
    """LETTERS_CONFIG, then letters.toml in the working folder, then the system-wide file."""
    named = env.get("LETTERS_CONFIG")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"LETTERS_CONFIG names a missing file: {path}",
                f"环境变量 LETTERS_CONFIG 指定的配置文件不存在：{path}",
            )
        return path
    for path in (cwd / CONFIG_NAME, SYSTEM_CONFIG):
        if path.is_file():
            return path
    return None


def is_project_folder(folder: Path) -> bool:
    """A folder the service already runs in, or the project's own checkout."""
    if (folder / "data" / "letters.db").is_file():
        return True
    if (folder / "inbox").is_dir() and (folder / "letter_templates").is_dir():
        return True
    pyproject = folder / "pyproject.toml"
    try:
        return pyproject.is_file() and 'name = "credit-letters"' in pyproject.read_text(encoding="utf-8")
    except OSError:
        return False


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}", f"配置文件 {path} 格式错误：{exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: {exc}", f"配置文件 {path} 无法读取：{exc}") from exc
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown settings {unknown}", f"配置文件 {path} 含有未知配置项：{'、'.join(unknown)}"
        )
    return data


def load_settings(
    config: Path | None = None, env: dict[str, str] | None = None, **overrides: Any
) -> Settings:
    """Defaults < settings file < LETTERS_* environment < explicit overrides.

    `config` (for callers that choose the file themselves) is read when it exists;
    otherwise the file is found as the module docstring says.
    """
    env = dict(os.environ if env is None else env)
    defaults = Settings()
    values: dict[str, Any] = {}
    cwd = Path.cwd()
    path = config if config is not None else find_config(env, cwd)
    if path is not None and path.is_file():
        values.update(_read_config(path))
        values.setdefault("base_dir", str(path.resolve().parent))
    elif (
        config is None
        and "LETTERS_BASE_DIR" not in env
        and overrides.get("base_dir") is None
        and not is_project_folder(cwd)
    ):
        raise ConfigError(
            f"no settings file found and {cwd} is not a project folder",
            f"未找到配置文件：当前文件夹（{cwd}）中没有 {CONFIG_NAME}，也不是本系统的项目文件夹，"
            f"为免在此新建空数据库、对照空名单办理来函，已停止。请到项目文件夹中执行，"
            f"或用环境变量 LETTERS_CONFIG 指定配置文件，或放置系统配置文件 {SYSTEM_CONFIG}。",
        )
    for f in fields(Settings):
        key = f"LETTERS_{f.name.upper()}"
        if key in env:
            values[f.name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    kwargs = {
        f.name: _coerce(f.name, values[f.name], getattr(defaults, f.name))
        for f in fields(Settings)
        if f.name in values
    }
    settings = Settings(**kwargs)
    if settings.office_level not in ("province", "city"):
        raise ConfigError(
            f"office_level {settings.office_level!r}",
            f"配置项 office_level 只能是 province（省信息中心（省信用办））或 city（市级社会信用体系建设牵头部门）：{settings.office_level}",
        )
    if not settings.reply_prefix.strip():
        raise ConfigError("reply_prefix is empty", "配置项 reply_prefix（复函文号前缀）不能为空。")
    if not 0 <= settings.list_shrink_share < 1:
        raise ConfigError(
            "list_shrink_share must be in [0, 1)",
            "配置项 list_shrink_share 应为 0 到 1 之间的小数，例如 0.05。",
        )
    try:
        mode = settings.reply_mode
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777 or mode & 0o400 == 0:
        raise ConfigError(
            f"reply_file_mode {settings.reply_file_mode!r} is not an octal mode readable by its owner",
            f"配置项 reply_file_mode 应为八进制权限，且所有者可读，例如 0600 或 0640：{settings.reply_file_mode}",
        )
    if settings.workers < 1:
        raise ConfigError("workers must be >= 1", "配置项 workers 至少为 1。")
    return settings
