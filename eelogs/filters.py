"""Jinja filters and helpers shared by the report templates."""

from __future__ import annotations

from typing import Any

from eelogs.providers import PROVIDER_NAMES
from eelogs.safetext import (
    Safe,
    md_cell,
    md_code,
    md_escape,
    md_link,
    md_list,
    md_prose,
    md_span,
    shell_quote,
    visible,
    web_url,
)

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


def short_time(iso: str | None) -> str:
    return iso.replace("T", " ")[:19] + "Z" if iso else "—"


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


FILTERS = {
    "paint": paint,
    "md_cell": md_cell,
    "md_code": md_code,
    "md_prose": md_prose,
    "md_span": md_span,
    "md_escape": md_escape,
    "md_list": md_list,
    "md_link": md_link,
    "web_url": web_url,
    "shell_quote": shell_quote,
    "short_time": short_time,
    "provider_name": provider_name,
    "listing": listing,
    "plural": plural,
}
# also a global: templates written before it was a filter call plural(n, word)
GLOBALS = {"plural": plural}
