"""Personal names as letters print them, lists store them and the check compares them.

One normalisation on both sides is what makes 阿卜杜拉•麦麦提 in a letter and
阿卜杜拉·麦麦提 in a list the same person's name. It lives in the domain, not in
extraction, because list imports and the check need it too.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.ideographs import fold

WS_RE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
DOTS = "·•・‧∙⋅●．.‐"  # middle dots people type in minority names

_INNER_DOTS = re.compile(rf"(?<=[{CJK}])[{re.escape(DOTS)}]+(?=[{CJK}])")
_NEEDS_WORK = re.compile(rf"{WS_RE.pattern}|[{re.escape(DOTS)}]")


def normalise_name(text: str) -> str:
    """王  伟 -> 王伟; any middle-dot look-alike between characters -> U+00B7; a radical that stands for
    an ideograph (钟⻜丽) -> the ideograph (钟飞丽)."""
    text = fold(unicodedata.normalize("NFC", WS_RE.sub("", text)))
    return _INNER_DOTS.sub("·", text)


def clean_name(text: str) -> str:
    """normalise_name, with a fast path for the common clean name (an import's hot loop)."""
    if unicodedata.is_normalized("NFC", text) and not _NEEDS_WORK.search(text) and fold(text) == text:
        return text
    return normalise_name(text)


def name_key(text: str) -> str:
    """The comparison key of a name (currently the cleaned name itself)."""
    return clean_name(text)


# A roster column's vocabulary is never a person's name: 汉族 printed as a name in an official reply
# (a legacy .doc whose roster had 民族 and 性别 beside the name) names nobody.
ETHNIC_GROUPS = frozenset(
    [
        "汉",
        "蒙古",
        "回",
        "藏",
        "维吾尔",
        "苗",
        "彝",
        "壮",
        "布依",
        "朝鲜",
        "满",
        "侗",
        "瑶",
        "白",
        "土家",
        "哈尼",
        "哈萨克",
        "傣",
        "黎",
        "傈僳",
        "佤",
        "畲",
        "高山",
        "拉祜",
        "水",
        "东乡",
        "纳西",
        "景颇",
        "柯尔克孜",
        "土",
        "达斡尔",
        "仫佬",
        "羌",
        "布朗",
        "撒拉",
        "毛南",
        "仡佬",
        "锡伯",
        "阿昌",
        "普米",
        "塔吉克",
        "怒",
        "乌孜别克",
        "俄罗斯",
        "鄂温克",
        "德昂",
        "保安",
        "裕固",
        "京",
        "塔塔尔",
        "独龙",
        "鄂伦春",
        "赫哲",
        "门巴",
        "珞巴",
        "基诺",
    ]
)
_VOCABULARY: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("民族名称", re.compile("^(" + "|".join(sorted(ETHNIC_GROUPS, key=len, reverse=True)) + ")族$")),
    ("性别", re.compile(r"^(男|女|男性|女性)$")),
    (
        "政治面貌",
        re.compile(
            r"^(中共(预备)?党员|(中国)?共产党员|共青团员|团员|党员|群众|无党派(人士)?|民主党派"
            r"|民革(党员)?|民盟(盟员)?|民建(会员)?|民进(会员)?|农工党(党员)?|致公党(党员)?|九三学社(社员)?|台盟(盟员)?)$"
        ),
    ),
    (
        "学历学位",
        re.compile(
            r"^((大学|全日制)?本科|(硕士|博士)(研究生)?|研究生|学士|大专|专科|中专|高中|初中|博士后|在职研究生)$"
        ),
    ),
    (
        "职务职级或岗位",
        re.compile(
            r"^(([一二三四]级)?(主任|副主任)?科员|办事员|([一二三四]级)?(调研员|主任科员)|科长|副科长|处长|副处长"
            r"|教师|讲师|助教|(副)?教授|护士|护师|医师|(助理)?工程师|技术员|会计|出纳|职员|干部|辅导员"
            r"|专技岗|管理岗|工勤岗|专业技术岗|管理岗位|工勤技能岗)$"
        ),
    ),
)


def vocabulary_kind(value: str) -> str | None:
    """What a roster value is when it is a column's vocabulary (民族名称, 性别, 政治面貌, 学历学位,
    职务职级或岗位) rather than a person's name; None for anything else."""
    text = WS_RE.sub("", value)
    return next((kind for kind, pattern in _VOCABULARY if pattern.match(text)), None)
