"""Draw docs/diagrams/*.toml (boxes on a grid, arrows between them) to SVG beside each source.

The picture's source is text in the repository; the SVG is drawn from it with matplotlib (already a
dependency, for the periodic reports), text kept as text. `make docs` runs it.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "docs" / "diagrams"
BOX_W, BOX_H, GAP_X, GAP_Y = 3.2, 1.25, 0.9, 0.8


def _centre(at: list[int]) -> tuple[float, float]:
    return at[0] * (BOX_W + GAP_X) + BOX_W / 2, -at[1] * (BOX_H + GAP_Y) - BOX_H / 2


def draw(source: Path) -> Path:
    spec = tomllib.loads(source.read_text(encoding="utf-8"))
    nodes = {n["id"]: n for n in spec["node"]}
    cols = max(n["at"][0] for n in nodes.values()) + 1
    rows = max(n["at"][1] for n in nodes.values()) + 1
    width, height = cols * (BOX_W + GAP_X), rows * (BOX_H + GAP_Y)
    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "letters",
            "font.family": ["DejaVu Sans", "WenQuanYi Zen Hei"],
        }
    )
    fig, ax = plt.subplots(figsize=(width * 0.9, height * 0.9))
    ax.set_xlim(-0.2, width)
    ax.set_ylim(-height, 0.2)
    ax.axis("off")
    for node in nodes.values():
        x, y = _centre(node["at"])
        ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H,
                                    boxstyle="round,pad=0.02,rounding_size=0.12",
                                    facecolor="#f4efe6", edgecolor="#7a1c1c", linewidth=1.4))  # fmt: skip
        ax.text(x, y + 0.32, node["label"], ha="center", va="center", fontsize=13, weight="bold")
        ax.text(x, y - 0.18, _wrap(node.get("note", ""), 36), ha="center", va="center", fontsize=8)
    for edge in spec.get("edge", []):
        a, b = nodes[edge["from"]], nodes[edge["to"]]
        (x1, y1), (x2, y2) = _centre(a["at"]), _centre(b["at"])
        start, end = _border((x1, y1), (x2, y2)), _border((x2, y2), (x1, y1))
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14,
                                     color="#7a1c1c", linewidth=1.3))  # fmt: skip
        if edge.get("label"):
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            beside = abs(end[0] - start[0]) < abs(end[1] - start[1])  # a steep arrow: label to its right
            ax.text(mx + (0.12 if beside else 0), my + (0 if beside else 0.1), edge["label"],
                    ha="left" if beside else "center", va="center" if beside else "bottom",
                    fontsize=8.5, style="italic")  # fmt: skip
    target = source.with_suffix(".svg")
    fig.savefig(target, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return target


def _border(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Where the line from box centre a towards b leaves box a."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    scale = min(
        (BOX_W / 2) / abs(dx) if dx else float("inf"),
        (BOX_H / 2) / abs(dy) if dy else float("inf"),
    )
    return a[0] + dx * scale, a[1] + dy * scale


def _wrap(text: str, width: int) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line] if line else lines)


def main() -> int:
    for source in sorted(FOLDER.glob("*.toml")):
        print(f"drew {draw(source).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
