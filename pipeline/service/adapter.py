"""Bridge from the service's Processor interface to issue 3's pipeline.process."""

from __future__ import annotations

from pipeline.errors import ConfigError
from pipeline.service.outcome import Processor
from pipeline.settings import Settings
from pipeline.storage import Database


def make_processor(settings: Settings, db: Database) -> Processor:
    """The real read → extract → check → reply step, writing into the case's staging folder."""
    try:
        from pipeline import process as _process  # noqa: F401
    except ImportError as exc:  # pragma: no cover - only until pipeline.process lands
        raise ConfigError(
            "pipeline.process is not available", "来函处理模块（pipeline.process）尚未安装，无法启动服务。"
        ) from exc
    raise ConfigError("pipeline.process adapter pending", "来函处理模块的接口尚未接入。")
