"""Files an installed `letters` needs wherever it runs: the default reply template and holiday file.

The project folder keeps its own editable copies (letter_templates/reply.docx,
holidays.toml); these packaged ones are used when a configured file is left at
its default name and the folder has none. tests/test_docs.py keeps both the same.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
REPLY_TEMPLATE = FOLDER / "reply.docx"
OBJECTION_APPLY_TEMPLATE = FOLDER / "objection_apply.docx"
OBJECTION_NOTICE_TEMPLATE = FOLDER / "objection_notice.docx"
HOLIDAYS = FOLDER / "holidays.toml"
