"""What the text and Markdown reports show, prepared from the report rows.

The Markdown report must fit a GitHub issue body (65,536 characters) whatever the input, so
it is rendered with limits (rows per table, characters per cell) and, when a rendering is
still too long, again with tighter ones. Every limit is a count of rows or characters, so the
tightest level is bounded by construction.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from typing import Any

from eelogs.accountrows import failing_rows, healthy_counts

MD_BUDGET = 60_000  # under GitHub's 65,536 with room for the reader's own words
# From generous to tight; the first whose rendering fits the budget is used.
MD_LEVELS: tuple[dict[str, int], ...] = (
    {"table": 60, "details": 25, "fix": 10, "samples": 5, "sample": 600, "cell": 160,
     "accounts": 100, "incidents": 15, "unmatched": 15, "history": 50, "listing": 10,
     "tickets": 5, "doc": 4000},
    {"table": 40, "details": 12, "fix": 5, "samples": 3, "sample": 300, "cell": 120,
     "accounts": 50, "incidents": 10, "unmatched": 10, "history": 30, "listing": 5,
     "tickets": 3, "doc": 2000},
    {"table": 25, "details": 5, "fix": 2, "samples": 0, "sample": 0, "cell": 80,
     "accounts": 25, "incidents": 5, "unmatched": 5, "history": 20, "listing": 3,
     "tickets": 1, "doc": 800},
)  # fmt: skip


def counted_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings as the reports list them, open ones first: the one that restates incidents
    (provider-incident) is shown with the findings it repeats, not as a problem of its own."""
    shown = [f for f in report["findings"] if not f.get("restates")]
    return sorted(shown, key=lambda f: not f["open"])  # stable: worst first within each


def failing_first(accounts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failing accounts, those with the most open problems first, then by name. Only the
    failing rows are made (accounttable.py)."""
    failing = failing_rows(accounts)
    return sorted(failing, key=lambda a: (-len(a["open_patterns"]), a["account"]))


def healthy_by_provider(accounts: Sequence[dict[str, Any]]) -> list[tuple[str, int]]:
    return healthy_counts(accounts)


def next_commands(report: dict[str, Any]) -> list[str]:
    """Commands to run next, quoted for a POSIX shell so that they paste as they are."""
    open_findings = [f for f in counted_findings(report) if f["open"]]
    if not open_findings:
        return []
    worst = open_findings[0]
    commands = [f"eelogs patterns show {shlex.quote(worst['pattern'])}"]
    if worst["open_accounts"] and not report["eelogs"].get("accounts"):
        sources = [s for s in report["input"]["sources"] if s != "<stdin>"]
        inputs = " ".join(shlex.quote(s) for s in sources) if sources else "-"
        account = shlex.quote(worst["open_accounts"][0])
        commands.append(f"eelogs analyze {inputs} --account {account} --format md -o ticket.md")
    return commands


def tickets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The "information to provide" block of a support ticket, per selected account: its
    state history, the incidents it was part of, the window the input covers."""
    chosen = set(report.get("eelogs", {}).get("accounts") or [])
    if not chosen:  # not an --account report: no account row needs to be made
        return []
    context = report.get("context") or {}
    incidents = context.get("incidents", report["incidents"])
    out = []
    for account in report["accounts"]:
        if account["account"] not in chosen:
            continue
        findings = [f for f in report["findings"] if account["account"] in f["accounts"]]
        out.append(
            {
                **account,
                "versions": report["input"]["emailengine_versions"],
                "node_versions": report["input"].get("node_versions", []),
                "errors": [
                    {
                        "pattern": f["pattern"],
                        "title": f["title"],
                        "last_error": f["last_error"],
                        "count": f["count"],
                    }
                    for f in findings
                ],
                "window": _window(report, context),
                "incidents": [i for i in incidents if account["account"] in i["accounts"]],
            }
        )
    return out


def _window(report: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """The time the analysed input covers: --since/--until where given, else the whole
    input's first and last record (read again for an --account report when it can be)."""
    asked = report.get("eelogs", {}).get("window") or {}
    first = asked.get("since") or context.get("first") or report["input"]["first"]
    last = asked.get("until") or context.get("last") or report["input"]["last"]
    whole = bool(context) or bool(asked.get("since") or asked.get("until"))
    return {"first": first, "last": last, "whole": whole}


def state_history(account: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The last `limit` events of an account's timeline, in time order."""
    timeline: list[dict[str, Any]] = account.get("timeline") or []
    return timeline[-limit:] if limit else []


def ago(seconds: int | None, suffix: str = "ago") -> str:
    """`3 h ago`, `12 min ago`, `at the end`: how long before the input's end."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return "at the end"
    if seconds < 3600:
        return f"{seconds // 60} min {suffix}"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {suffix}"
    return f"{seconds // 86400} d {suffix}"


_ANSI = re.compile(r"\033\[[0-9;]*m")


def visible_len(text: str) -> int:
    return len(_ANSI.sub("", text))


def fit_width(
    text: str, width: int, keep: tuple[str, ...] = ("  eelogs ", "Warning: ", "Since ")
) -> str:
    """Every line wrapped at `width` columns; continuation lines keep the line's indent (two
    spaces under a line that has none). A word longer than the width (a URL, an id) keeps a
    line of its own rather than being broken, and so do commands, warnings and the baseline
    line (lines starting with `keep`): they name commands and paths to copy, which must not
    come apart."""
    out: list[str] = []
    for line in text.split("\n"):
        if visible_len(line) <= width or _ANSI.sub("", line).startswith(keep):
            out.append(line.rstrip(" "))
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        lead, hanging = indent, indent or "  "
        current = ""
        for word in line[len(indent) :].split(" "):
            candidate = f"{current} {word}" if current else word
            if current and visible_len(lead + candidate) > width:
                out.append((lead + current).rstrip())
                lead, current = hanging, word
            else:
                current = candidate
        out.append((lead + current).rstrip())
    return "\n".join(out)


_ENDED_BY = {
    "quiet": "not seen again since",
    "signal:login": "accounts logged in since",
    "signal:token": "tokens renewed since",
    "signal:send": "messages sent since",
    "signal:webhook": "webhooks delivered since",
    "signal:watch": "Pub/Sub watches renewed since",
    "signal:subscription": "Graph subscriptions renewed since",
}


def ended_how(ended_by: str | None) -> str:
    """Why a finding counts as over, in words."""
    return _ENDED_BY.get(ended_by or "", ended_by or "over")


def oneline(text: Any, limit: int) -> str:
    """The first line of a text, at most `limit` characters (the terminal's room for it)."""
    value = "" if text is None else str(text).strip()
    first = value.split("\n", 1)[0]
    limit = max(limit, 10)
    return first if len(first) <= limit and first == value else first[: limit - 1] + "…"


def text_view(top: int | None, failing_only: bool, width: int | None) -> dict[str, Any]:
    """What the terminal report shows: how many findings, whose, and how wide."""
    return {"top": top or 0, "failing_only": failing_only, "width": max(width or 80, 40)}
