"""Which kind of query a letter is: civil servants (公务员录用、调任) or public institutions (事业单位聘用).

The title says it most reliably; the body is the tie-breaker. Body citations
such as 《公务员法》 count less than the title's own words.
"""

from __future__ import annotations

import re

from pipeline.domain.letter import Kind

CIVIL = re.compile(r"公务员|参照公务员法管理|参公|遴选|调任|选调生")
INSTITUTION = re.compile(r"事业单位|事业编制|事业人员")


def classify(title: str | None, body: str) -> tuple[Kind | None, float]:
    """(kind, confidence)."""
    if title:
        civil, inst = len(CIVIL.findall(title)), len(INSTITUTION.findall(title))
        if civil != inst:
            return (Kind.CIVIL_SERVANT if civil > inst else Kind.PUBLIC_INSTITUTION), 1.0
    civil, inst = len(CIVIL.findall(body)), len(INSTITUTION.findall(body))
    if civil == inst:
        return None, 0.0
    confidence = 0.9 if min(civil, inst) == 0 else 0.6
    return (Kind.CIVIL_SERVANT if civil > inst else Kind.PUBLIC_INSTITUTION), confidence
