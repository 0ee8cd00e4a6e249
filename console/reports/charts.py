"""Report charts drawn on the server with matplotlib (Agg, no display), as SVG documents with no script."""

from __future__ import annotations

import io
from functools import cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Sequence

from routing.coverage import SlotCoverage

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@cache
def _mpl() -> SimpleNamespace:
    """matplotlib, imported on the first chart: it takes seconds, which every `helpline` command paid."""
    import matplotlib

    matplotlib.use("Agg")  # before anything else of matplotlib: servers have no display
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    # Text stays paths (the default): the picture needs no font on the reader's side and no font request.
    matplotlib.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "helpline-reports", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False})
    return SimpleNamespace(Figure=Figure, ListedColormap=ListedColormap, Patch=Patch)

INK, MUTED, ACCENT = "#1b1f24", "#4a5562", "#1d4f91"
# Coverage states, told apart by colour and by the figures written in each cell.
CLOSED, NOBODY, SHORT, COVERED = "#e3e7ec", "#b91c1c", "#f59e0b", "#2f855a"


def _svg(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return out.getvalue()


def _grid(axes, values: Sequence[Sequence[int]], colours, top: int):
    """Cells as vector squares, row 0 on top (imshow would embed a raster image, blurred when scaled)."""
    rows, columns = len(values), len(values[0])
    mesh = axes.pcolormesh([c - 0.5 for c in range(columns + 1)], [r - 0.5 for r in range(rows + 1)], values,
                           cmap=colours, vmin=0, vmax=top, edgecolors="white", linewidth=0.5)
    axes.set_ylim(rows - 0.5, -0.5)
    return mesh


def heatmap(grid: Sequence[Sequence[int]], weekdays: Sequence[str], title: str) -> bytes:
    figure = _mpl().Figure(figsize=(10, 3.4))
    axes = figure.subplots()
    peak = max((max(row) for row in grid), default=0)
    _grid(axes, grid, "YlOrRd", max(peak, 1))  # no colour bar: every cell has its figure written in
    axes.set_xticks(range(24), [f"{hour:02d}" for hour in range(24)])
    axes.set_yticks(range(len(weekdays)), weekdays)
    for row, counts in enumerate(grid):
        for hour, count in enumerate(counts):
            if count:
                axes.text(hour, row, str(count), ha="center", va="center", fontsize=8,
                          color="white" if count > peak * 0.6 else INK)
    axes.set_title(title, loc="left", color=INK)
    return _svg(figure)


def bars(labels: Sequence[str], values: Sequence[float], title: str, color: str = ACCENT) -> bytes:
    """Horizontal bars, first label on top, each bar with its figure written at its end."""
    figure = _mpl().Figure(figsize=(7, 0.42 * len(labels) + 0.9))
    axes = figure.subplots()
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, values, color=color)
    axes.set_yticks(positions, labels)
    for position, value in zip(positions, values):
        axes.text(value, position, f" {value:g}", va="center", color=INK)
    axes.set_xlim(0, max(max(values, default=0) * 1.15, 1))
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_title(title, loc="left", color=INK)
    return _svg(figure)


def service(hours: Sequence[str], within: Sequence[int], late: Sequence[int], abandoned: Sequence[int],
            labels: Sequence[str], title: str) -> bytes:
    """Per hour: callers answered within the target, answered later, and who hung up, stacked."""
    figure = _mpl().Figure(figsize=(8, 3.2))
    axes = figure.subplots()
    positions = range(len(hours))
    axes.bar(positions, within, color="#2f855a", label=labels[0])
    axes.bar(positions, late, bottom=within, color="#f59e0b", label=labels[1])
    axes.bar(positions, abandoned, bottom=[a + b for a, b in zip(within, late)], color="#b91c1c", label=labels[2])
    axes.set_xticks(list(positions), hours)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False, fontsize=8)
    axes.set_title(title, loc="left", color=INK)
    return _svg(figure)


def coverage(slots: Sequence[SlotCoverage], weekdays: Sequence[str], legend: Sequence[str], title: str) -> bytes:
    """The week as a grid: closed, open with nobody, fewer than advised, covered; "scheduled/advised" written in."""
    states = [[0] * 24 for _ in range(7)]
    figure = _mpl().Figure(figsize=(10, 3.6))
    axes = figure.subplots()
    for slot in slots:
        states[slot.weekday][slot.hour] = {None: 3, "nobody": 1, "short": 2}[slot.gap] if slot.is_open else 0
    _grid(axes, states, _mpl().ListedColormap([CLOSED, NOBODY, SHORT, COVERED]), 3)
    for slot in slots:
        if slot.is_open or slot.scheduled:
            axes.text(slot.hour, slot.weekday, f"{slot.scheduled}/{slot.advice.listeners}", ha="center",
                      va="center", fontsize=7, color=INK if slot.gap != "nobody" else "white")
    axes.set_xticks(range(24), [f"{hour:02d}" for hour in range(24)])
    axes.set_yticks(range(7), weekdays)
    handles = [_mpl().Patch(color=color, label=label)
               for color, label in zip((CLOSED, NOBODY, SHORT, COVERED), legend)]
    axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, frameon=False)
    axes.set_title(title, loc="left", color=INK)
    return _svg(figure)
