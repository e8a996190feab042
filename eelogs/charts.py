"""Inline SVG charts for the HTML report, built from numbers (and escaped labels) only."""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

from markupsafe import Markup

HOUR_MS = 3_600_000
MAX_BARS = 168  # a week of hours; longer reports are drawn per day
# One colour per catalog category, the same in every report (full report, ticket, any
# night): mid-tones that read on the light and the dark background alike.
CATEGORY_COLORS = {
    "oauth": "#8e6cc9",
    "auth": "#d6457a",
    "connection": "#2f86d6",
    "tls": "#14998a",
    "infra": "#a07654",
    "webhooks": "#e8663a",
    "api": "#4e9f3d",
    "limits": "#c9a227",
    "microsoft": "#4c5fc7",
    "security": "#c73b3b",
    "detectors": "#1fa8c4",
    "sending": "#d98b1e",
    "mailbox": "#8a9a2b",
    "unrecognised": "#858b93",
    "other": "#858b93",
}
# A category from an extra catalog (--patterns) picks from these by a hash of its name, so
# it too keeps its colour from one report to the next.
EXTRA_COLORS = ("#b5568f", "#3f9e9e", "#9c7a2e", "#6a7fd0", "#c2612f", "#5f9a62")


def category_color(category: str) -> str:
    known = CATEGORY_COLORS.get(category)
    if known:
        return known
    return EXTRA_COLORS[zlib.crc32(category.encode()) % len(EXTRA_COLORS)]


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


def sparkline(
    values: list[int], color: str | None = None, width: int = 160, height: int = 28
) -> Markup:
    if not values or not max(values):
        return Markup("")
    peak, step = max(values), width / len(values)
    fill = f' style="fill:{escape(color)}"' if color else ""
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
        f'height="{height}"{fill} role="img" aria-label="events over time">'
        + "".join(bars)
        + "</svg>"
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


def nice_scale(peak: int, ticks: int = 4) -> tuple[int, int]:
    """(step, top) of a y-axis: steps of 1, 2 or 5 times a power of ten, top >= peak."""
    raw = max(peak, 1) / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return step, step * math.ceil(max(peak, 1) / step)


@dataclass(frozen=True)
class Frame:
    """Where the plot sits in the SVG and what its axes mean."""

    left: float
    top: float
    plot_w: float
    plot_h: float
    top_y: int  # the value at the top of the y-axis
    start: int  # ms of the first bucket
    size: int  # ms per bucket
    count: int

    @property
    def bar_w(self) -> float:
        return self.plot_w / self.count

    def y(self, value: float) -> float:
        return self.top + self.plot_h - value / self.top_y * self.plot_h


def stacked(
    per_category: dict[str, list[int]],
    span: tuple[int, int, int],
    width: int = 960,
    height: int = 240,
) -> Markup:
    """Events per hour (or day) stacked by category, with a y-axis of round numbers and
    time labels spaced so they do not overlap at this width."""
    start, size, count = span
    if not count or not per_category:
        return Markup("")
    order = sorted(per_category, key=lambda c: (-sum(per_category[c]), c))
    totals = [sum(per_category[c][i] for c in order) for i in range(count)]
    step_y, top_y = nice_scale(max(totals))
    frame = Frame(44, 18, width - 52, height - 44, top_y, start, size, count)
    unit = "hour" if size == HOUR_MS else "day"
    parts = [f'<text x="0" y="11">events per {unit}</text>']
    for value in range(0, top_y + 1, step_y):
        y = frame.y(value)
        parts.append(
            f'<line class="grid" x1="{frame.left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="y" x="{frame.left - 6}" y="{y + 4:.1f}">{value:,}</text>'
        )
    for i in range(count):
        parts.extend(_bar(per_category, order, i, frame))
    parts.extend(_time_axis(frame, height))
    return Markup(
        f'<svg class="timeline" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="events per {unit} by category, UTC">' + "".join(parts) + "</svg>"
    )


def _time_axis(frame: Frame, height: int) -> list[str]:
    """A label about every 80 units of width, so they never overlap; hourly labels fall on
    hours that divide the day evenly, so midnight (with its date) is always one of them."""
    out = []
    base = frame.top + frame.plot_h
    every = max(1, math.ceil(80 / frame.bar_w))
    if frame.size == HOUR_MS:
        every = next(d for d in (1, 2, 3, 4, 6, 12, 24) if d >= min(every, 24))
    for i in range(frame.count):
        moment = frame.start + i * frame.size
        slot = moment // HOUR_MS % 24 if frame.size == HOUR_MS else i
        if slot % every:
            continue
        x = frame.left + i * frame.bar_w
        label = escape(_label(moment, frame.size, first=i == 0))
        out.append(
            f'<line class="tick" x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}"/>'
            f'<text x="{x:.1f}" y="{height - 6}">{label}</text>'
        )
    return out


def _bar(
    per_category: dict[str, list[int]], order: list[str], index: int, frame: Frame
) -> list[str]:
    """One time bucket's stacked rectangles, the largest category at the bottom."""
    x = frame.left + index * frame.bar_w
    moment = _label(frame.start + index * frame.size, frame.size, first=True)
    below = 0
    out = []
    for category in order:
        value = per_category[category][index]
        if not value:
            continue
        y_top, y_bottom = frame.y(below + value), frame.y(below)
        below += value
        label = escape(f"{moment} UTC · {category}: {value}")
        out.append(
            f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{max(frame.bar_w - 1, 1):.1f}" '
            f'height="{y_bottom - y_top:.1f}" fill="{category_color(category)}">'
            f"<title>{label}</title></rect>"
        )
    return out


def legend(per_category: dict[str, list[int]]) -> Markup:
    """Every category in the chart with its colour and total: nothing is lumped as "others"."""
    order = sorted(per_category, key=lambda c: (-sum(per_category[c]), c))
    return Markup(
        '<div class="legend">'
        + "".join(
            f'<span><i style="background:{category_color(c)}"></i>{escape(c)} '
            f"<b>{sum(per_category[c]):,}</b></span>"
            for c in order
        )
        + "</div>"
    )


def _label(ms: int, size: int, first: bool = False) -> str:
    """An hour's label names its date only at the first bar and at midnight."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    if size != HOUR_MS:
        return moment.strftime("%m-%d")
    return moment.strftime("%m-%d %H:00" if first or moment.hour == 0 else "%H:00")


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
