"""A letter printed to PDF by Chromium, as OA systems make their PDFs (Playwright driving Debian's
chromium, never a downloaded browser). The HTML is the letter's own text: whatever code points the
spec holds (radicals included) go into the page as they are."""

from __future__ import annotations

import html
from pathlib import Path

from tests.browser import CHROMIUM  # noqa: F401 - callers skip on it
from tests.builders.spec import LetterSpec

_STYLE = """
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Zen Hei", serif; font-size: 16pt;
       margin: 0; }
.letterhead { color: #c00; text-align: center; font-size: 26pt; }
.docnum { text-align: center; }
.title { text-align: center; font-size: 20pt; font-weight: bold; margin: 1em 0; }
.signature { text-align: right; margin-right: 2em; }
p { margin: .3em 0; text-indent: 2em; }
.addressee, .signature, .docnum, .title, .letterhead { text-indent: 0; }
table { border-collapse: collapse; margin: .5em auto; }
td, th { border: 1px solid #000; padding: 2px 10px; font-size: 14pt; }
"""


def letter_html(spec: LetterSpec) -> str:
    parts = [f"<p class='{role}'>{html.escape(text)}</p>" for role, text in spec.front_matter()]
    rows = spec.roster_rows()
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
    table = f"<p class='addressee'>附件：查询对象名单</p><table><tr>{head}</tr>{body}</table>"
    return f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><style>{_STYLE}</style><body>{''.join(parts)}{table}</body></html>"


def build_chromium_pdf(spec: LetterSpec, path: Path, *, header_footer: bool = True) -> Path:
    """Print the letter with Chromium's own print (its header and footer — date, title, URL, page x/y —
    on, as a clerk printing from an OA page leaves them)."""
    from tests.browser import shared_browser

    source = path.with_suffix(".html")
    source.write_text(letter_html(spec), encoding="utf-8")
    context = shared_browser().new_context()
    try:
        page = context.new_page()
        page.goto(source.as_uri())
        page.pdf(
            path=str(path), format="A4", display_header_footer=header_footer,
            margin={"top": "25mm", "bottom": "25mm", "left": "28mm", "right": "26mm"},
        )  # fmt: skip
    finally:
        context.close()
    source.unlink()
    return path
