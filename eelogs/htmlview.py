"""What the HTML report shows, worked out from the report rows before the template runs.

The page answers "what is broken, for whom, what do I do" on its first screen, so the order
of everything (findings, incidents, accounts) is decided here: worst first. The page must also
stay a few MB for 50,000 accounts, so healthy accounts beyond a limit become counts per
provider, and account timelines share one budget of events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eelogs import charts, markdown, views
from eelogs.accountrows import failing_rows, healthy_counts
from eelogs.catalog import SEVERITIES, Catalog

# Up to this many accounts the table lists every one; beyond it, healthy accounts are
# counted per provider and only failing ones get a row (a 50,000-account page stays small).
LISTED_ACCOUNTS = 500
# Events (state changes, findings, sample lines) of all account timelines together.
TIMELINE_BUDGET = 6000
SAMPLES_PER_ACCOUNT = 3
AFFECTED_SHOWN = 60  # names in a finding's "Affected" line; the accounts table has them all
GOOD_STATES = {"connected", "syncing"}
BAD_STATES = {"authenticationError", "connectError", "disconnected", "unset"}
# The catalog's [fields] names, as people say them; unknown names get their words spaced.
FIELD_LABELS = {
    "signal": "Signal",
    "reason": "Reason code",
    "context": "Seen during",
    "code": "Error code",
    "response": "Server response",
    "server_code": "Server code",
    "status": "HTTP status",
    "url": "URL",
    "address": "Address",
    "provider": "Provider",
    "remote": "Remote address",
    "error": "Error",
    "error_count": "Errors counted",
    "first_error": "First error",
    "worker": "Worker",
    "exit_code": "Exit code",
    "port": "Port",
    "hostname": "Host name",
    "user": "User",
    "retry_after": "Retry after (s)",
    "token": "Token",
    "backoff_ms": "Back-off (ms)",
    "response_code": "Response code",
    "smtp_code": "SMTP code",
    "server_says": "Server says",
    "attempt": "Attempt",
    "delay": "Delay (ms)",
    "path": "Folder",
}


def context(report: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """Everything the HTML template needs beyond the report itself."""
    end = report["input"]["last"]
    findings = report["findings"]
    categories = {f["pattern"]: f.get("category") or "other" for f in findings}
    for row in report["timeline"]:
        if row["pattern"] not in categories:
            pattern = catalog.get(row["pattern"])
            categories[row["pattern"]] = pattern.category if pattern else "other"
    accounts = account_rows(report)
    restating = restated_by(findings)
    cards = [f for f in findings if f["pattern"] not in restating["hidden"]]
    return {
        "top": [f for f in cards if is_open(f)],
        "cards": [f for f in cards if is_open(f)] + [f for f in cards if not is_open(f)],
        "restated": restating["notes"],
        "anchor": restating["anchor"],
        "incidents_sorted": sorted(
            report["incidents"], key=lambda i: (-severity_rank(i["severity"]), i["start"])
        ),
        "docs_html": {f["pattern"]: docs_html(f, catalog) for f in findings},
        "fields": {f["pattern"]: field_rows(f, catalog) for f in findings},
        "colors": {p: charts.category_color(c) for p, c in categories.items()},
        # each finding's events per night, with --history
        "trends": {f["pattern"]: charts.trend(f["trend"]) for f in findings if "trend" in f},
        "accounts_view": accounts,
        "timelines": timelines(report, accounts["rows"]),
        "provider_ids": sorted({p for f in findings for p in f["providers"]}),
        "span": span,
        "when": when,
        "ago": lambda iso: ago(iso, end),
        "state_class": state_class,
        "shown_accounts": AFFECTED_SHOWN,
        **chart_context(report, categories),
    }


def restated_by(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """A finding that restates others (provider-incident: "7 accounts of one app at once")
    gets no card or row of its own: it shows inside the finding it restates, and links to it
    land there. `anchor` maps every pattern with a card to the pattern whose card to open."""
    shown = {f["pattern"] for f in findings}
    hidden: set[str] = set()
    notes: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        targets = [p for p in finding.get("restates") or [] if p in shown]
        if targets:
            hidden.add(finding["pattern"])
            for target in targets:
                notes.setdefault(target, []).append(finding)
    anchor = {p: p for p in shown - hidden}
    for target, restating in notes.items():
        for finding in restating:
            anchor.setdefault(finding["pattern"], target)
    return {"hidden": hidden, "notes": notes, "anchor": anchor}


def is_open(finding: dict[str, Any]) -> bool:
    """Open now: not recovered, and not ended by a quiet period (the `ended` time)."""
    return bool(finding["open"]) and not finding.get("ended")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def state_class(state: str) -> str:
    """A state's colour follows the state itself: `connected` is green even on an account
    whose other problems make it failing."""
    if state in GOOD_STATES:
        return "state-ok"
    return "state-bad" if state in BAD_STATES else "state-other"


def span(first: str | None, last: str | None) -> str:
    """`2026-11-23 19:20:39 → 19:22:31 UTC`: the date once when both ends share it."""
    if not first or not last:
        return "—"
    a, b = first.replace("T", " ")[:19], last.replace("T", " ")[:19]
    if a == b:
        return f"{a} UTC"
    if a[:10] == b[:10]:
        return f"{a} → {b[11:]} UTC"
    return f"{a} → {b} UTC"


def when(first: str | None, last: str | None) -> str:
    """`11-23 19:20–19:22`: a compact span for a table cell (minutes, date once)."""
    if not first or not last:
        return "—"
    a, b = first.replace("T", " ")[5:16], last.replace("T", " ")[5:16]
    if a == b:
        return a
    return f"{a}–{b[6:]}" if a[:5] == b[:5] else f"{a} → {b}"


def ago(iso: str | None, end: str | None) -> str:
    """How long before the end of the analysed input: the same report reads the same later."""
    if not iso or not end:
        return ""
    return views.ago(int((_moment(end) - _moment(iso)).total_seconds()), "before end")


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def docs_html(finding: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The pattern's docs as HTML from their Markdown, the affected account filled in."""
    pattern = catalog.get(finding["pattern"])
    if pattern is None:
        return {}
    docs = pattern.docs
    accounts = finding.get("open_accounts") or finding.get("accounts") or []
    account = accounts[0] if len(accounts) == 1 else "<account>"
    providers = docs.get("providers") or {}
    notes = docs.get("contexts") or {}
    seen = (finding.get("fields") or {}).get("context") or []
    return {
        "what": markdown.to_html(str(docs["what"])),
        "why": markdown.to_html(str(docs["why"])),
        "fix": markdown.fill(markdown.to_html(str(docs["fix"])), "{account}", account),
        "providers": [
            (name, markdown.inline(str(note)))
            for name, note in providers.items()
            if name in finding["providers"] or not finding["providers"]
        ],
        "contexts": [
            (catalog.tables.context_title(c), markdown.inline(str(notes[c])))
            for c in seen
            if c in notes
        ],
        "references": [r for r in docs.get("references", []) if str(r).startswith("https://")],
    }


def field_rows(finding: dict[str, Any], catalog: Catalog) -> list[tuple[str, str]]:
    """(label, values) for the finding's captured fields, contexts by their titles."""
    rows = []
    for name, values in (finding.get("fields") or {}).items():
        if name == "context":
            values = [catalog.tables.context_title(v) for v in values]
        label = FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()
        rows.append((label, ", ".join(str(v) for v in values)))
    return rows


def account_rows(report: dict[str, Any]) -> dict[str, Any]:
    """Failing accounts first (worst open problem, then most events), then healthy ones;
    past LISTED_ACCOUNTS the healthy ones are only counted per provider (and their rows
    are never made: accounttable.py)."""
    severity_of = {f["pattern"]: severity_rank(f["severity"]) for f in report["findings"]}
    accounts = report["accounts"]
    listed = len(accounts) <= LISTED_ACCOUNTS
    rows = []
    for account in accounts if listed else failing_rows(accounts):
        worst = max((severity_of.get(p, -1) for p in account.get("open_patterns", [])), default=-1)
        rows.append(
            {
                **account,
                "problems": sum(account["patterns"].values()),
                "worst": SEVERITIES[worst] if worst >= 0 else None,
            }
        )
    failing = sorted(
        (r for r in rows if r["failing"]),
        key=lambda r: (-severity_of_row(r), -r["problems"], r["account"].lower()),
    )
    if listed:
        healthy = sorted(
            (r for r in rows if not r["failing"]),
            key=lambda r: (-r["problems"], r["account"].lower()),
        )
        return {"rows": failing + healthy, "healthy_counts": [], "healthy_hidden": 0}
    counts = healthy_counts(accounts)
    return {
        "rows": failing,
        "healthy_counts": counts,
        "healthy_hidden": sum(n for _, n in counts),
    }


def severity_of_row(row: dict[str, Any]) -> int:
    return severity_rank(row["worst"]) if row["worst"] else -1


def timelines(report: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each listed account's own story, in table order, while the budget lasts: its state
    changes and findings (the report's per-account `timeline`, when the report has one), the
    problems it had, and sample lines that name it."""
    samples: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        for sample in finding.get("samples") or []:
            if sample.get("account"):
                samples.setdefault(sample["account"], []).append(
                    {**sample, "pattern": finding["pattern"]}
                )
    titles = {f["pattern"]: (f["title"], f["severity"]) for f in report["findings"]}
    out: dict[str, dict[str, Any]] = {}
    budget = TIMELINE_BUDGET
    for number, row in enumerate(rows, 1):
        events = row.get("timeline") or []
        own = samples.get(row["account"], [])[:SAMPLES_PER_ACCOUNT]
        cost = len(events) + len(own) + len(row["patterns"]) + 1
        if cost > budget:
            break
        budget -= cost
        out[row["account"]] = {
            "id": f"acct-{number}",
            "events": events,
            "dropped": row.get("timeline_dropped", 0),
            "samples": own,
            "problems": sorted(
                ((p, *titles.get(p, (p, "info")), n) for p, n in row["patterns"].items()),
                key=lambda problem: (-severity_rank(problem[2]), -problem[3], problem[0]),
            ),
        }
    return out


def chart_context(report: dict[str, Any], categories: dict[str, str]) -> dict[str, Any]:
    """The events-over-time chart by category, and one sparkline per finding."""
    span_ = charts.buckets(report["input"]["first"], report["input"]["last"])
    per_pattern = charts.series(report["timeline"], span_)
    per_category: dict[str, list[int]] = {}
    for pattern, values in per_pattern.items():
        total = per_category.setdefault(categories.get(pattern, "other"), [0] * len(values))
        for i, value in enumerate(values):
            total[i] += value
    return {
        "sparks": {
            p: charts.sparkline(v, charts.category_color(categories.get(p, "other")))
            for p, v in per_pattern.items()
        },
        "timeline_svg": charts.stacked(per_category, span_),
        "timeline_svg_narrow": charts.stacked(per_category, span_, width=380, height=240),
        "timeline_legend": charts.legend(per_category),
    }
