"""The name of the person who does something: one rule for every place a name is recorded.

A name goes into the audit chain and onto screens line by line, so a newline
in `--by` forged a line in `review show`. Control and bidi-override characters
are refused, as is a name too long to be one.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.errors import UsageError

MAX_NAME = 50
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


def actor_name(text: str | None) -> str:
    """The name as recorded: trimmed, NFC; refused when empty, too long or holding control characters."""
    name = unicodedata.normalize("NFC", (text or "").strip())
    if not name:
        raise UsageError("no name", "请写明办理人姓名。")
    if _HIDDEN.search(name):
        raise UsageError("name with control characters", "办理人姓名中含有换行或其他控制字符，请重新输入。")
    if len(name) > MAX_NAME:
        raise UsageError("name too long", f"办理人姓名过长（最多{MAX_NAME}个字符）。")
    return name
