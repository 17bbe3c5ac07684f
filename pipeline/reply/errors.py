"""Errors of the reply step, each with the clerk-facing Chinese message."""

from __future__ import annotations

from pipeline.errors import ConfigError, LettersError


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
