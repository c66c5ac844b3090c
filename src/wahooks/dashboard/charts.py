"""Charts as SVG drawn here, no JavaScript library: stacked bars (counts per bucket by
outcome) and lines (latency percentiles, queue depth and age). Pure functions of the series
(figures.py) returning markup; text is escaped, colours come from the stylesheet's classes
(the Content-Security-Policy allows no inline style). Each chart carries its figures as
``data-*`` attributes, so a test (or a curious person) reads them without parsing paths.
"""

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 560, 190
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 22, 22
TICKS_X = 6


def duration(seconds: float | None) -> str:
    """A latency or an age for a person: 12 ms, 1.5 s, 3 min, 2 h."""
    if seconds is None:
        return "—"
    if math.isinf(seconds):
        return "> 30 min"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover


def _frame(title: str, labels: Sequence[str], top: float, fmt: object) -> list[str]:
    """The title, the axes, three grid lines with their values, and the time ticks."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [f'<text class="title" x="{LEFT}" y="14">{escape(title)}</text>']
    for i in range(4):
        y = TOP + plot_h * (1 - i / 3)
        value = top * i / 3
        text = fmt(value) if callable(fmt) else f"{value:g}"
        parts.append(
            f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">'
            f"{escape(text)}</text>"
        )
    n = len(labels)
    for i in range(0, n, max(1, n // TICKS_X)):
        x = LEFT + plot_w * (i + 0.5) / n
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
            f"{escape(labels[i])}</text>"
        )
    return parts


def _svg(chart_id: str, kind: str, parts: list[str], data: dict[str, str]) -> Markup:
    attributes = " ".join(f'data-{k}="{escape(v)}"' for k, v in data.items())
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" data-chart="{kind}" {attributes} '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts)
        + "</svg>"
    )


def stacked_bars(
    chart_id: str, title: str, stacks: dict[str, list[int]], labels: Sequence[str]
) -> Markup:
    """One bar per bucket, its parts stacked in the order of ``stacks`` (class bar-<name>)."""
    n = len(labels)
    totals = [sum(values[i] for values in stacks.values()) for i in range(n)]
    top = max(_nice_max(max(totals, default=0)), 3.0)  # counts: whole grid lines
    parts = _frame(title, labels, top, lambda v: f"{v:.0f}")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar_w = plot_w / max(n, 1)
    for i in range(n):
        y = float(TOP + plot_h)
        for name, values in stacks.items():
            if not values[i]:
                continue
            h = plot_h * values[i] / top
            y -= h
            parts.append(
                f'<rect class="bar-{escape(name)}" x="{LEFT + i * bar_w + 0.5:.1f}" y="{y:.1f}" '
                f'width="{max(bar_w - 1, 0.5):.1f}" height="{h:.1f}">'
                f"<title>{escape(labels[i])} {escape(name)}: {values[i]}</title></rect>"
            )
    data = {"total": str(sum(totals))} | {name: str(sum(v)) for name, v in stacks.items()}
    return _svg(chart_id, "bars", parts, data)


def lines(
    chart_id: str,
    title: str,
    series: dict[str, Sequence[float | None]],
    labels: Sequence[str],
    *,
    seconds: bool,
) -> Markup:
    """A line per series (class line-<name>); None leaves a gap. ``seconds``: the values
    are durations (the axis says ms, s, min)."""
    n = len(labels)
    finite = [
        v for values in series.values() for v in values if v is not None and not math.isinf(v)
    ]
    top = _nice_max(max(finite, default=0))
    if not seconds:
        top = max(top, 3.0)  # counts: whole grid lines
    fmt = duration if seconds else (lambda v: f"{v:.0f}")
    parts = _frame(title, labels, top, fmt)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    for name, values in series.items():
        path, dots, pen_down = [], [], False
        for i, v in enumerate(values):
            if v is None:
                pen_down = False
                continue
            x = LEFT + plot_w * (i + 0.5) / max(n, 1)
            y = TOP + plot_h * (1 - min(v, top) / top)
            path.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
            # A dot per value: a lone value (one busy minute) is a point, not a line.
            dots.append(
                f'<circle class="dot dot-{escape(name)}" cx="{x:.1f}" cy="{y:.1f}" r="2">'
                f"<title>{escape(labels[i])} {escape(name)}: {escape(fmt(v))}</title></circle>"
            )
            pen_down = True
        if path:
            parts.append(f'<path class="line line-{escape(name)}" d="{" ".join(path)}"/>')
            parts.extend(dots)
    last = {
        name: next((v for v in reversed(values) if v is not None), None)
        for name, values in series.items()
    }
    data = {f"last-{name}": ("" if v is None else f"{v:g}") for name, v in last.items()}
    return _svg(chart_id, "lines", parts, data)
