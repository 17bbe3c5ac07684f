"""argparse's own words (usage, help headings, usage errors) in Chinese, for clerks at the shell.

argparse looks its messages up through gettext (`argparse._`, `argparse.ngettext`) and ships no
Chinese catalogue; this installs one for the `letters` command, keyed by argparse's English
strings, so a message this table does not know stays as argparse wrote it rather than vanishing.
"""

from __future__ import annotations

import argparse

MESSAGES = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示此帮助信息并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "the following arguments are required: %s": "缺少必填参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的取值：%(value)r（可选：%(choices)s）",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid %(type)s value: %(value)r": "无效的取值：%(value)r（应为 %(type)s）",
    "expected one argument": "需要一个取值",
    "expected at most one argument": "至多一个取值",
    "expected at least one argument": "至少需要一个取值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是：%(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "参数 %s 须给出其中之一",
    "ignored explicit argument %r": "忽略了多余的取值 %r",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
}
PLURALS = {"expected %s argument": "需要 %s 个取值"}


def _gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return PLURALS.get(singular, singular if n == 1 else plural)


def install() -> None:
    """From now on argparse speaks Chinese in this process (the CLI's parsers only: the service
    and the console do not parse command lines)."""
    argparse._ = _gettext  # type: ignore[attr-defined]
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]
