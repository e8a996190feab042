"""Inline SVG charts for the HTML report, built from numbers (and escaped labels) only."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from html import escape
from typing import Any

from markupsafe import Markup

HOUR_MS = 3_600_000
MAX_BARS = 168  # a week of hours; longer reports are drawn per day
PALETTE = (
    "#d1495b",
    "#edae49",
    "#00798c",
    "#30638e",
    "#8d6a9f",
    "#66a182",
    "#c46d5e",
    "#3d5a80",
    "#b07aa1",
    "#6c757d",
)


def buckets(first: str | None, last: str | None) -> tuple[int, int, int]:
    """(start ms, bucket size ms, number of buckets) covering the report's time range."""
    if not first or not last:
        return 0, HOUR_MS, 0
    start = _ms(first) // HOUR_MS * HOUR_MS
    end = _ms(last)
    size = HOUR_MS
    while (end - start) // size + 1 > MAX_BARS:
        size *= 24
    return start, size, int((end - start) // size) + 1


def series(timeline: list[dict[str, Any]], span: tuple[int, int, int]) -> dict[str, list[int]]:
    """Events per bucket for each pattern."""
    start, size, count = span
    out: dict[str, list[int]] = defaultdict(lambda: [0] * count)
    for row in timeline:
        index = int((_ms(row["hour"]) - start) // size)
        if 0 <= index < count:
            out[row["pattern"]][index] += row["count"]
    return dict(out)


def sparkline(values: list[int], width: int = 160, height: int = 28) -> Markup:
    if not values or not max(values):
        return Markup("")
    peak, step = max(values), width / len(values)
    bars = []
    for n, value in enumerate(values):
        if value:
            h = max(2.0, value / peak * (height - 2))
            bars.append(
                f'<rect x="{n * step:.1f}" y="{height - h:.1f}" '
                f'width="{max(step - 1, 1):.1f}" height="{h:.1f}"/>'
            )
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="events over time">' + "".join(bars) + "</svg>"
    )


def trend(points: list[dict[str, Any]], width: int = 160, height: int = 28) -> Markup:
    """A finding's events per night (--history) as bars, one per night, each titled with
    its night and count. A night without the finding gets a hairline, not a gap."""
    if len(points) < 2:
        return Markup("")
    counts = [int(p["count"]) for p in points]
    peak, step = max(counts) or 1, width / len(points)
    bars = []
    for n, (point, value) in enumerate(zip(points, counts, strict=True)):
        h = max(2.0, value / peak * (height - 2)) if value else 1.0
        label = escape(f"{str(point['night'])[:16].replace('T', ' ')}: {value}")
        bars.append(
            f'<rect x="{n * step:.1f}" y="{height - h:.1f}" width="{max(step - 1, 1):.1f}" '
            f'height="{h:.1f}"><title>{label}</title></rect>'
        )
    said = escape(", ".join(str(c) for c in counts))
    return Markup(
        f'<svg class="spark trend" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="events per night: {said}">'
        + "".join(bars)
        + "</svg>"
    )


def stacked(
    per_pattern: dict[str, list[int]],
    span: tuple[int, int, int],
    width: int = 960,
    height: int = 220,
) -> Markup:
    """Events per hour (or day), stacked by pattern, with a legend of the largest ones."""
    start, size, count = span
    if not count or not per_pattern:
        return Markup("")
    order = sorted(per_pattern, key=lambda p: -sum(per_pattern[p]))
    colors = {p: PALETTE[i] if i < len(PALETTE) - 1 else PALETTE[-1] for i, p in enumerate(order)}
    totals = [sum(per_pattern[p][i] for p in order) for i in range(count)]
    peak, plot_h, step = max(totals) or 1, height - 30, width / count
    parts = []
    for i in range(count):
        y = float(plot_h)
        for pattern in order:
            value = per_pattern[pattern][i]
            if not value:
                continue
            h = value / peak * (plot_h - 4)
            y -= h
            label = escape(f"{_label(start + i * size, size)} · {pattern}: {value}")
            parts.append(
                f'<rect x="{i * step:.1f}" y="{y:.1f}" width="{max(step - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="{colors[pattern]}"><title>{label}</title></rect>'
            )
    for i in range(0, count, max(1, count // 8)):
        parts.append(
            f'<text x="{i * step:.1f}" y="{height - 10}">'
            f"{escape(_label(start + i * size, size))}</text>"
        )
    legend = "".join(
        f'<span><i style="background:{colors[p]}"></i>{escape(p)}</span>'
        for p in order[: len(PALETTE) - 1]
    )
    if len(order) >= len(PALETTE):
        legend += f'<span><i style="background:{PALETTE[-1]}"></i>others</span>'
    return Markup(
        f'<svg class="timeline" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="events per {"hour" if size == HOUR_MS else "day"} by pattern">'
        + "".join(parts)
        + f'</svg><div class="legend">{legend}</div>'
    )


def _label(ms: int, size: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%m-%d %H:00" if size == HOUR_MS else "%m-%d")


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
