"""The report's charts (matplotlib, Agg) drawn with one CJK font file named explicitly, so no
character falls back to a font without it (the boxes a default setup prints)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from pipeline.reports.figures import Figures


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    png: bytes
    font: Path  # the file every character was drawn with
    texts: tuple[str, ...]  # every string drawn


def _literal(text: str) -> str:
    """A label drawn as written: matplotlib reads "$…$" as mathematics (a list named "$x$")."""
    return text.replace("$", r"\$")


def _bars(title: str, labels: list[str], series: list[tuple[str, list[int]]], font: Path) -> Chart:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    prop = font_manager.FontProperties(fname=str(font))
    fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=150)
    try:
        width = min(0.8 / max(len(series), 1), 0.3 if len(labels) < 3 else 0.8)  # no slab for one bar
        for i, (name, values) in enumerate(series):
            xs = [x + i * width for x in range(len(labels))]
            bars = ax.bar(xs, values, width=width, label=name, color=["#7a1f1f", "#c9a227", "#3a6fb0"][i % 3])
            ax.bar_label(bars, fontproperties=prop, fontsize=8)
        ax.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(labels))])
        ax.set_xticklabels([_literal(t) for t in labels], fontproperties=prop, fontsize=9)
        ax.set_title(title, fontproperties=prop, fontsize=11)
        ax.tick_params(axis="y", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        if len(series) > 1:
            ax.legend(prop=prop, fontsize=8, frameon=False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
    finally:
        plt.close(fig)
    return Chart(title, out.getvalue(), font, (title, *labels, *(name for name, _ in series)))


def charts(f: Figures, font: Path) -> list[Chart]:
    kinds = sorted(set(f.received_by_kind) | set(f.answered_by_kind)) or ["（无）"]
    out = [
        _bars(
            "按查询类别：收到与复函（件）", kinds,
            [("收到", [f.received_by_kind.get(k, 0) for k in kinds]),
             ("复函", [f.answered_by_kind.get(k, 0) for k in kinds])],
            font,
        ),
        _bars("办理时限（件）", ["3个工作日内", "延期内", "超过期限"], [("复函", [f.on_time, f.within_delay, f.late])], font),
    ]  # fmt: skip
    if f.hits_by_list:
        out.append(
            _bars(
                "失信联合惩戒对象按名单（人）",
                list(f.hits_by_list),
                [("人数", list(f.hits_by_list.values()))],
                font,
            )
        )
    return out
