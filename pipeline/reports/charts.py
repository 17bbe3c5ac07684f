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
    across: bool = False  # bars laid out as rows, for labels too long to stand under a bar
    aspect: float = 0.5  # height / width as drawn


LONG_LABEL = 6  # characters: a longer label gets a row of its own (horizontal bars)


def _literal(text: str) -> str:
    """A label drawn as written: matplotlib reads "$…$" as mathematics (a list named "$x$")."""
    return text.replace("$", r"\$")


def _bars(title: str, labels: list[str], series: list[tuple[str, list[int]]], font: Path) -> Chart:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    prop = font_manager.FontProperties(fname=str(font))
    # Long labels (list names, units) overprint each other under vertical bars: lay them out as rows.
    across = max((len(t) for t in labels), default=0) > LONG_LABEL or len(labels) > 6
    height = 3.2 if not across else max(2.4, 0.9 + 0.45 * len(labels) * max(1, len(series)))
    fig, ax = plt.subplots(figsize=(6.4, min(height, 9.0)), dpi=150)
    try:
        width = min(0.8 / max(len(series), 1), 0.3 if len(labels) < 3 else 0.8)  # no slab for one bar
        colours = ["#7a1f1f", "#c9a227", "#3a6fb0"]
        for i, (name, values) in enumerate(series):
            places = [x + i * width for x in range(len(labels))]
            draw = ax.barh if across else ax.bar
            bars = draw(places, values, width, label=name, color=colours[i % 3])
            ax.bar_label(bars, fontproperties=prop, fontsize=8, padding=2)
        ticks = [x + width * (len(series) - 1) / 2 for x in range(len(labels))]
        shown = [_literal(t) for t in labels]
        count_axis = ax.xaxis if across else ax.yaxis
        count_axis.set_major_locator(MaxNLocator(integer=True))  # counts of letters: never 2.5
        if across:
            ax.set_yticks(ticks)
            ax.set_yticklabels(shown, fontproperties=prop, fontsize=9)
            ax.invert_yaxis()  # the first label on top, as the table reads
        else:
            ax.set_xticks(ticks)
            ax.set_xticklabels(shown, fontproperties=prop, fontsize=9)
        ax.set_title(title, fontproperties=prop, fontsize=11)
        ax.tick_params(axis="x" if across else "y", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        if len(series) > 1:
            ax.legend(prop=prop, fontsize=8, frameon=False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
    finally:
        plt.close(fig)
    w, h = fig.get_size_inches()
    return Chart(title, out.getvalue(), font, (title, *labels, *(name for name, _ in series)), across, h / w)


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
