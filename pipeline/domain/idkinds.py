"""The kinds of personal numbers a roster carries besides the citizen's, and their own rules.

- 公民身份号码 (GB 11643-1999): address code (6) + birth date (8) + sequence (3) + MOD 11-2
  check character. python-stdnum's `stdnum.cn.ric` implements it; `idnumber` wraps that.
- 港澳台居民居住证 (国务院办公厅《港澳台居民居住证申领发放办法》, 国办发〔2018〕81号, 第四条):
  holders get a 公民身份号码 whose address code is 810000 (香港), 820000 (澳门) or 830000
  (台湾); birth date, sequence and check as GB 11643. These codes are not counties, so the
  region data knows none of them: the number is valid, not "of an unknown region".
- 外国人永久居留身份证, 2023 edition (国家移民管理局《新版外国人永久居留身份证机读信息规则
  （2023版）》, issued from 2023-12-01): 18 characters modelled on GB 11643, first digit "9"
  (the foreigner's mark; citizen numbers begin 1-8), 17 digits and a MOD 11-2 check character
  computed as for the citizen number; digits 2-3 the province of the issuing office, 4-6 the
  nationality as a number, 7-14 the birth date.
- The 2017 edition of the same card has 15 characters (3 Latin letters for the nationality +
  12 digits): no public check rule, so it cannot be validated here and a clerk must look.

python-stdnum (1.20) covers only the citizen number, so these rules live here.
"""

from __future__ import annotations

import re
from typing import Literal

IdKind = Literal["citizen", "hmt_residence", "foreign_permanent", "foreign_permanent_2017"]

HMT_REGIONS = {"810000": "香港", "820000": "澳门", "830000": "台湾"}
# Province-level codes (GB/T 2260) an issuing office may carry: digits 2-3 of a 2023 foreigner's number.
_PROVINCE_CODES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65"
)
PROVINCES = frozenset(_PROVINCE_CODES.split(" "))
_FOREIGN_2017 = re.compile(r"[A-Z]{3}[0-9]{12}")

PROBLEM_FOREIGN_2017 = (
    "为旧版（2017版）外国人永久居留身份证号码（15位），无法按规则核验，请核对或请来函单位提供新版号码"
)
NOTE_FOREIGN_PROVINCE = "外国人永久居留身份证号码第2-3位的受理地省级代码不在已知范围内，请留意"


def kind_of(number: str) -> IdKind:
    """Which rules a normalised number follows (the citizen's when nothing else fits)."""
    if len(number) == 15 and _FOREIGN_2017.fullmatch(number):
        return "foreign_permanent_2017"
    if len(number) == 18 and number[0] == "9":
        return "foreign_permanent"
    if number[:6] in HMT_REGIONS:
        return "hmt_residence"
    return "citizen"


def foreign_province_known(number: str) -> bool:
    return number[1:3] in PROVINCES
