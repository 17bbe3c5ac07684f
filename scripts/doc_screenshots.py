"""Copy the screenshots the browser tests took into docs/screenshots/, sized for reading.

    make screenshots    # runs the browser tests with LETTERS_SCREENSHOTS=.screens, then this script

Only the images docs/*.md show are copied, scaled to 1000 px wide and reduced to a 256-colour
palette (the console's pages are flat colours and text), so the repository stays small.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
WIDTH = 1000


def wanted() -> set[str]:
    """The screenshot files the documentation links to."""
    names: set[str] = set()
    for page in DOCS.glob("*.md"):
        names |= set(re.findall(r"\(screenshots/([\w.-]+\.png)\)", page.read_text(encoding="utf-8")))
    return names


def main(source: Path) -> int:
    target = DOCS / "screenshots"
    target.mkdir(exist_ok=True)
    missing = []
    for name in sorted(wanted()):
        shot = source / name
        if not shot.exists():
            missing.append(name)
            continue
        image = Image.open(shot).convert("RGB")
        if image.width > WIDTH:
            image = image.resize((WIDTH, round(image.height * WIDTH / image.width)), Image.Resampling.LANCZOS)
        image.quantize(256, method=Image.Quantize.MEDIANCUT).save(target / name, optimize=True)
        print(f"docs/screenshots/{name}: {(target / name).stat().st_size // 1024} KB")
    if missing:
        print(f"no screenshot taken for: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".screens"))
