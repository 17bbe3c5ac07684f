"""Extraction speed and memory, side by side with the bare library work.

For docx and text-PDF letters of 30 and 300 people it prints: ms per letter
for `read_document + extract`, ms for the bare library work on the same file
(python-docx load + walking the body; pdfplumber open + words + tables of every
page), their ratio, and the peak RSS of a fresh process extracting the letter.

    .venv/bin/python bench/extract.py [--repeat N]

Targets: ratio <= 1.3 for both formats; a 300-person PDF under 200 MB peak RSS.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.extraction import extract  # noqa: E402
from pipeline.reading import read_document  # noqa: E402
from tests.builders.spec import LetterSpec, make_id  # noqa: E402


def crowd(n: int) -> list[tuple[str, str]]:
    first = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
    return [(first[i % 20] + given[(i * 7) % 20] + given[(i * 3) % 20], make_id("610102", "19900101", f"{i % 1000:03d}"))
            for i in range(n)]  # fmt: skip


def bare_docx(path: Path) -> int:
    """python-docx load + walking the body with its own API: blocks in order, paragraph text, cell text."""
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    count = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    count += len(cell.text)
        else:
            count += len(block.text)
    return count


def bare_pdf(path: Path) -> int:
    import pdfplumber

    count = 0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            count += len(page.extract_words())
            count += len(page.extract_tables())
            page.close()
    return count


def ours(path: Path) -> int:
    return len(extract(read_document(path)).people)


def timed(fn, path: Path, repeat: int) -> float:
    fn(path)  # warm caches and imports
    samples = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn(path)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def peak_rss_mb(path: Path) -> float:
    # VmHWM of the child itself: ru_maxrss after fork+exec can carry the parent's size.
    code = (
        "import sys;from pathlib import Path;"
        "from pipeline.reading import read_document;from pipeline.extraction import extract;"
        "extract(read_document(Path(sys.argv[1])));"
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))/1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from tests.builders.docx_builder import build_docx
    from tests.builders.pdf_builder import build_pdf

    print(f"{'letter':<16}{'extract ms':>12}{'bare ms':>10}{'ratio':>8}{'peak MB':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, build, bare in (("docx", build_docx, bare_docx), ("pdf", build_pdf, bare_pdf)):
            for n in (30, 300):
                path = build(LetterSpec(people=crowd(n)), Path(tmp) / f"letter{n}.{fmt}")
                assert ours(path) == n, f"{fmt} {n}: extraction lost people"
                # Interleave to share any machine noise between both sides.
                ours_ms = timed(ours, path, args.repeat)
                bare_ms = timed(bare, path, args.repeat)
                print(f"{fmt + ' ' + str(n) + ' people':<16}{ours_ms:>12.1f}{bare_ms:>10.1f}"
                      f"{ours_ms / bare_ms:>8.2f}{peak_rss_mb(path):>10.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
