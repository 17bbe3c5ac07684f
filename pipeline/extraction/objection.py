"""Is this letter an objection (异议申请) to a reply, and which reply does it cite?

An objection letter names itself in its title (关于…异议的函), or objects in its body (异议申请,
提出异议, 申请异议复核) and cites the office's reply by its 文号. The cited numbers are every 文号 in the body except the letter's own;
linking them to a case is the case core's job (pipeline.cases.objections).
"""

from __future__ import annotations

import re

from pipeline.domain.docnumber import find_doc_numbers
from pipeline.domain.letter import ObjectionClaim

_NAMES_ITSELF = re.compile(r"异议(申请|复核|的函|的申请)|提出异议|申请异议|有异议")
_REASON = re.compile(r"[^。\n]*(异议|不符|有误|错误|已履行|已移出|非本人)[^。\n]*。?")


def find_objection(title: str | None, body: str, own_doc_number: str | None) -> ObjectionClaim | None:
    cited = [n for n, _, _ in find_doc_numbers(body) if n != own_doc_number]
    titled = "异议" in (title or "")
    # A query letter may tell its people how to object ("如有异议…"): only a letter titled so, or one
    # that objects and cites a reply by its 文号, is an objection.
    if not titled and not (cited and _NAMES_ITSELF.search(re.sub(r"\s+", "", body))):
        return None
    said = "\n".join(
        line for line in body.splitlines() if not line.strip().startswith(("附件", "抄送", "联系人"))
    )
    reasons = [m.group(0).strip() for m in _REASON.finditer(said)]
    return ObjectionClaim(cited=list(dict.fromkeys(cited)), reason="".join(reasons)[:500] or None)
