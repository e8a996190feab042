"""Jinja filters and helpers shared by the report templates."""

from __future__ import annotations

from typing import Any

from eelogs.providers import PROVIDER_NAMES
from eelogs.safetext import (
    Safe,
    md_block,
    md_cell,
    md_code,
    md_escape,
    md_link,
    md_list,
    md_prose,
    md_span,
    visible,
    web_url,
)
from eelogs.views import ago, ended_how, oneline, state_history

_ANSI = {
    "critical": "1;31",
    "high": "31",
    "medium": "33",
    "low": "36",
    "info": "2",
    "bold": "1",
    "dim": "2",
    "green": "32",
    "red": "31",
}


def paint(text: Any, style: str, color: bool) -> Safe:
    """ANSI colour for the terminal report, only when colour is on. The text inside is made
    visible first, so only our own escape codes reach the terminal."""
    code = _ANSI.get(style)
    shown = visible(text)
    return Safe(f"\033[{code}m{shown}\033[0m" if color and code else shown)


def cut(text: Any, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking the cut (before any escaping, so an
    escape is never cut in half)."""
    value = "" if text is None else str(text)
    return value if len(value) <= limit else value[: max(limit - 1, 0)] + "…"


def short_time(iso: str | None) -> str:
    return iso.replace("T", " ")[:19] + "Z" if iso else "—"


def short_minute(iso: str | None) -> str:
    return iso.replace("T", " ")[:16] + "Z" if iso else "—"


def plural(
    n: int, word: str, many: str | None = None, *, count: bool = True, grouped: bool = True
) -> str:
    """`1 record`, `4,997 records`: the one place a count meets its noun, in every report,
    message and summary line. `many` is the plural where it is not `word` + s; `count=False`
    gives the noun alone (an HTML tile shows the number apart); `grouped=False` leaves out the
    thousands separator (the stderr summary line, which scripts read)."""
    form = word if n == 1 else many or f"{word}s"
    if not count:
        return form
    return f"{n:,} {form}" if grouped else f"{n} {form}"


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)


def listing(items: list[Any], limit: int = 5) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


def spark(values: list[int]) -> str:
    """A Unicode sparkline: ▁ is a night without the finding, ▂ to █ scale up to the peak,
    so one event never looks like none."""
    peak = max(values, default=0)
    top = len(SPARK_BLOCKS) - 1
    return "".join(
        SPARK_BLOCKS[0] if not v else SPARK_BLOCKS[1 + round((v / peak) * (top - 1))]
        for v in values
    )


def trend_text(trend: list[dict[str, Any]], shown: int = 7) -> str:
    """`▁▅█  0 → 5 → 7 events a night`: the sparkline, then the last nights' counts."""
    counts = [int(point["count"]) for point in trend]
    text = f"{spark(counts)}  {' → '.join(str(c) for c in counts[-shown:])} events a night"
    if len(counts) > shown:
        text += f" (the last {shown} of {len(counts)} nights; peak {max(counts)})"
    return text


FILTERS = {
    "paint": paint,
    "md_cell": md_cell,
    "md_code": md_code,
    "md_prose": md_prose,
    "md_block": md_block,
    "md_span": md_span,
    "md_escape": md_escape,
    "md_list": md_list,
    "md_link": md_link,
    "web_url": web_url,
    "cut": cut,
    "short_time": short_time,
    "short_minute": short_minute,
    "provider_name": provider_name,
    "listing": listing,
    "ago": ago,
    "ended_how": ended_how,
    "oneline": oneline,
    "state_history": state_history,
    "plural": plural,
    "spark": spark,
    "trend_text": trend_text,
}
# also a global: templates written before it was a filter call plural(n, word)
GLOBALS = {"plural": plural}
