"""Where a .docx letter's values sit on its converted PDF.

A .docx's provenance is a paragraph or a table cell, not a place on a page;
the console shows the letter as LibreOffice lays it out. Each value's source
text is found among the converted PDF's characters: an ID by its own digits
(the k-th person with the same ID takes the k-th occurrence), a name on its
person's ID line, and the letter's fields in the order of their paragraphs.
Pure functions over extracted characters, so they are tested without a PDF.
"""

from __future__ import annotations

from dataclasses import dataclass

Rect = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points


@dataclass(frozen=True, slots=True)
class PageText:
    """One page's visible characters in content order (whitespace dropped), each with its box."""

    width: float
    height: float
    text: str
    rects: list[Rect]

    def to_json(self) -> dict:
        return {"width": self.width, "height": self.height, "text": self.text, "rects": self.rects}

    @classmethod
    def from_json(cls, data: dict) -> PageText:
        return cls(data["width"], data["height"], data["text"], [tuple(r) for r in data["rects"]])  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class Spot:
    key: str
    page: int  # 1-based
    rect: Rect


def _compact(text: str) -> str:
    return "".join(text.split())


def read_pages(pdf_path: str) -> list[PageText]:
    """The characters of every page (pdfplumber), for `locate`."""
    import pdfplumber

    pages = []
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            chars = [c for c in page.chars if c["text"].strip()]
            pages.append(
                PageText(
                    float(page.width),
                    float(page.height),
                    "".join(c["text"] for c in chars),
                    [(float(c["x0"]), float(c["top"]), float(c["x1"]), float(c["bottom"])) for c in chars],
                )
            )
            page.flush_cache()
    return pages


class _Finder:
    """Occurrences of compacted text across the pages, in document order; each char used once."""

    def __init__(self, pages: list[PageText]) -> None:
        self.pages = pages
        self.used: list[set[int]] = [set() for _ in pages]

    def all(self, text: str) -> list[tuple[int, int]]:
        """(page index, start) of every unused occurrence."""
        needle = _compact(text)
        found: list[tuple[int, int]] = []
        if not needle:
            return found
        for index, page in enumerate(self.pages):
            start = page.text.find(needle)
            while start >= 0:
                if not self.used[index].intersection(range(start, start + len(needle))):
                    found.append((index, start))
                start = page.text.find(needle, start + 1)
        return found

    def take(self, key: str, at: tuple[int, int], text: str) -> list[Spot]:
        """Mark the occurrence used; one spot per line it covers."""
        index, start = at
        length = len(_compact(text))
        self.used[index].update(range(start, start + length))
        rects = self.pages[index].rects[start : start + length]
        spots: list[Spot] = []
        line: list[Rect] = []
        for rect in rects:
            if line and rect[1] > line[-1][3] - 1:  # starts below the line so far: a wrapped line
                spots.append(Spot(key, index + 1, _union(line)))
                line = []
            line.append(rect)
        if line:
            spots.append(Spot(key, index + 1, _union(line)))
        return spots


def _union(rects: list[Rect]) -> Rect:
    return (
        min(r[0] for r in rects),
        min(r[1] for r in rects),
        max(r[2] for r in rects),
        max(r[3] for r in rects),
    )


def _same_line(a: Rect, b: Rect) -> bool:
    return min(a[3], b[3]) - max(a[1], b[1]) > 0.3 * min(a[3] - a[1], b[3] - b[1])


def locate(pages: list[PageText], letter_json: dict) -> list[Spot]:
    """Spots for the letter's fields (by key) and each person's name and ID (`N.name`, `N.id_number`)."""
    finder = _Finder(pages)
    spots: list[Spot] = []
    people = letter_json.get("people") or []
    id_spot: dict[int, Spot] = {}
    for seq, person in enumerate(people, 1):  # IDs first: digits are the least ambiguous text
        text = ((person.get("sources") or {}).get("id_number") or {}).get("text") or ""
        found = finder.all(text)
        if found:
            taken = finder.take(f"{seq}.id_number", found[0], text)
            spots.extend(taken)
            id_spot[seq] = taken[0]
    for seq, person in enumerate(people, 1):
        text = ((person.get("sources") or {}).get("name") or {}).get("text") or ""
        found = finder.all(text)
        if not found:
            continue
        line = id_spot.get(seq)
        if line is not None:  # the name on its ID's line, nearest to it
            beside = [
                f for f in found
                if f[0] + 1 == line.page and _same_line(pages[f[0]].rects[f[1]], line.rect)
            ]  # fmt: skip
            found = sorted(beside, key=lambda f: abs(pages[f[0]].rects[f[1]][0] - line.rect[0])) or found
        spots.extend(finder.take(f"{seq}.name", found[0], text))
    fields = sorted(
        ((key, src) for key, src in (letter_json.get("sources") or {}).items() if isinstance(src, dict)),
        key=lambda item: ((item[1].get("location") or {}).get("paragraph") is None,
                          (item[1].get("location") or {}).get("paragraph") or 0),
    )  # fmt: skip
    after = (0, 0)  # paragraphs come in order: each field after the one before it
    for key, src in fields:
        text = src.get("text") or ""
        found = finder.all(text)
        ordered = [f for f in found if f >= after] or found
        if not ordered:
            continue
        spots.extend(finder.take(key, ordered[0], text))
        if (src.get("location") or {}).get("paragraph") is not None:
            after = ordered[0]
    return spots
