"""Turn what the collector kept into the report's rows, with polars.

The only stage that imports polars. Everything it returns is plain rows (dicts of str, int,
lists), ready for JSON and the templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from eelogs.catalog import SEVERITIES, SIGNAL_KINDS, Catalog, Pattern
from eelogs.collect import Collector, top
from eelogs.detectors import Detection, detect, detection_times
from eelogs.filters import plural
from eelogs.lifecycle import QUIET_PERIOD_MS, add_account_timelines, end_findings, link_incidents
from eelogs.parse import iso
from eelogs.providers import PROVIDER_NAMES, PROVIDERS
from eelogs.states import ERROR_STATES

INCIDENT_GAP_MS = 15 * 60_000
_RECOVERED_BY = {
    "auth": ("login",),
    "microsoft": ("login",),
    "connection": ("login",),
    "tls": ("login",),
    "limits": ("login",),
    "mailbox": ("login",),
    "oauth": ("login", "token"),
    "api": ("login",),
    "sending": ("send",),
    "webhooks": ("webhook",),
    "detectors": ("login",),
}


@dataclass(frozen=True, slots=True)
class Scope:
    """What the report covers: optional provider filter; --account is applied upstream."""

    providers: frozenset[str] = field(default_factory=frozenset)
    accounts: frozenset[str] = field(default_factory=frozenset)


def recovered_by(pattern: Pattern) -> tuple[str, ...]:
    return pattern.recovered_by or _RECOVERED_BY.get(pattern.category, ())


def build_report(
    collector: Collector, catalog: Catalog, scope: Scope, quiet_ms: int = QUIET_PERIOD_MS
) -> dict[str, Any]:
    """The report as plain rows: input, findings, accounts, providers, incidents, timeline.
    `quiet_ms`: how long an account-less finding must not recur to count as over."""
    accounts = _accounts_frame(collector)
    if scope.providers:
        accounts = accounts.filter(pl.col("provider").is_in(sorted(scope.providers)))
    pairs = _pairs_frame(collector, catalog, accounts)
    by_id = {p.id: p for p in catalog.patterns}
    incidents = _incidents(collector, catalog, accounts, scope)
    findings = _findings(collector, catalog, pairs, scope)
    detected = detect(collector, catalog, accounts, incidents, _end(collector))
    findings = _merge_detections(findings, detected, by_id, incidents)
    end_findings(findings, collector, by_id, quiet_ms)
    link_incidents(findings, incidents, by_id)
    findings.sort(
        key=lambda f: (
            -by_id[f["pattern"]].severity_rank if f["pattern"] in by_id else 0,
            not f["open"],
            -f["count"],
            f["pattern"],
        )
    )
    account_rows = _account_rows(accounts, pairs)
    add_account_timelines(account_rows, collector)
    failing = {a["account"] for a in account_rows if a["failing"]}
    return {
        "input": _input(collector),
        "summary": _summary(findings, account_rows, failing),
        "findings": findings,
        "accounts": account_rows,
        "providers": _providers(account_rows, pairs),
        "incidents": incidents,
        "timeline": _timeline(collector, {f["pattern"] for f in findings}),
        "unmatched": _unmatched(collector, scope),
        "baseline": None,
    }


def _end(collector: Collector) -> int:
    return collector.last if collector.last is not None else 0


def _accounts_frame(collector: Collector) -> pl.DataFrame:
    """One row per account, built column by column: no dict per account (a run may see
    millions of accounts)."""
    schema: dict[str, Any] = {
        "account": pl.String,
        "provider": pl.String,
        "state": pl.String,
        "state_since": pl.Int64,
        "auth": pl.String,
        "first": pl.Int64,
        "last": pl.Int64,
        "records": pl.Int64,
        "last_error": pl.String,
        "last_error_time": pl.Int64,
        **{f"sig_{k}": pl.Int64 for k in SIGNAL_KINDS},
    }
    columns: dict[str, list[Any]] = {name: [] for name in schema}
    webhook = collector.signals.get("webhook")
    for track in collector.accounts.values():
        columns["account"].append(track.account)
        columns["provider"].append(track.provider)
        columns["state"].append(track.state)
        columns["state_since"].append(track.state_since)
        columns["auth"].append(top(track.auth))
        columns["first"].append(track.first)
        columns["last"].append(track.last)
        columns["records"].append(track.records)
        columns["last_error"].append(collector.kept_error(track.last_error))
        columns["last_error_time"].append(track.last_error_time)
        signals = track.signals or {}
        for kind in SIGNAL_KINDS:
            columns[f"sig_{kind}"].append(signals.get(kind, webhook if kind == "webhook" else None))
    return pl.DataFrame(columns, schema=schema)


def _pairs_frame(collector: Collector, catalog: Catalog, accounts: pl.DataFrame) -> pl.DataFrame:
    """One row per (pattern, account) with counts and whether the account recovered since."""
    rows = [
        (pid, account, v[0], v[1], v[2], v[3])
        for (pid, account), v in collector.pairs.items()
        if account
    ]
    pairs = pl.DataFrame(
        rows,
        schema={
            "pattern": pl.String,
            "account": pl.String,
            "events": pl.Int64,
            "lines": pl.Int64,
            "first": pl.Int64,
            "last": pl.Int64,
        },
        orient="row",
    )
    kinds = pl.DataFrame(
        [
            (
                p.id,
                p.scope != "instance" and p.severity_rank >= SEVERITIES.index("high"),
                *(k in recovered_by(p) for k in SIGNAL_KINDS),
            )
            for p in catalog.patterns
        ],
        schema={
            "pattern": pl.String,
            "breaks_account": pl.Boolean,
            **{f"rb_{k}": pl.Boolean for k in SIGNAL_KINDS},
        },
        orient="row",
    )
    signals = accounts.select("account", "provider", *(f"sig_{k}" for k in SIGNAL_KINDS))
    joined = pairs.join(signals, on="account", how="inner").join(kinds, on="pattern", how="left")
    recovered = pl.lit(False)
    for kind in SIGNAL_KINDS:
        recovered = recovered | (
            pl.col(f"rb_{kind}").fill_null(False)
            & (pl.col(f"sig_{kind}") > pl.col("last")).fill_null(False)
        )
    return joined.with_columns(recovered.alias("recovered")).select(
        "pattern",
        "account",
        "provider",
        "events",
        "lines",
        "first",
        "last",
        "recovered",
        pl.col("breaks_account").fill_null(False),
    )


def _about(pattern: Pattern) -> dict[str, Any]:
    """The catalog's half of a finding row; the log's half is counted per run."""
    return {
        "pattern": pattern.id,
        "title": pattern.title,
        "action": pattern.action,
        "severity": pattern.severity,
        "category": pattern.category,
        "scope": pattern.scope,
    }


def _findings(
    collector: Collector, catalog: Catalog, pairs: pl.DataFrame, scope: Scope
) -> list[dict[str, Any]]:
    per_pattern = {
        row["pattern"]: row
        for row in pairs.group_by("pattern")
        .agg(
            pl.col("events").sum(),
            pl.col("lines").sum(),
            pl.col("account").sort().alias("accounts"),
            pl.col("account").filter(~pl.col("recovered")).sort().alias("open_accounts"),
            pl.col("provider").unique().sort().alias("providers"),
        )
        .to_dicts()
    }
    filtered = bool(scope.providers)
    out = []
    for pattern in catalog.patterns:
        track = collector.patterns.get(pattern.id)
        if track is None:
            continue
        grouped = per_pattern.get(pattern.id)
        if grouped is None and (filtered or (pattern.id, "") not in collector.pairs):
            continue  # every account of it was filtered out
        accountless = (
            collector.pairs.get((pattern.id, ""), [0, 0, 0, 0]) if not filtered else [0, 0, 0, 0]
        )
        events = (grouped["events"] if grouped else 0) + accountless[0]
        hint = top(track.provider_hints)
        providers = list(grouped["providers"]) if grouped else ([hint] if hint else [])
        open_accounts = list(grouped["open_accounts"]) if grouped else []
        out.append(
            {
                **_about(pattern),
                "count": events,
                "lines": (grouped["lines"] if grouped else 0) + accountless[1],
                "accounts": list(grouped["accounts"]) if grouped else [],
                "open_accounts": open_accounts,
                "recovered_accounts": sorted(set(grouped["accounts"]) - set(open_accounts))
                if grouped
                else [],
                "providers": providers,
                "first": iso(track.first),
                "last": iso(track.last),
                "open": bool(open_accounts) or accountless[0] > 0,
                "fields": {k: [v for v, _ in c.most_common(5)] for k, c in track.fields.items()},
                "samples": track.samples,
                "last_error": collector.kept_error(track.last_error),
                "detector": False,
            }
        )
    return out


def _merge_detections(
    findings: list[dict[str, Any]],
    detected: list[Detection],
    by_id: dict[str, Pattern],
    incidents: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Add detector findings; a detector for a line pattern widens that pattern's finding."""
    rows = {f["pattern"]: f for f in findings}
    for found in detected:
        first, last = detection_times(found, incidents)
        row = rows.get(found.pattern)
        if row is None:
            pattern = by_id[found.pattern]
            row = rows[found.pattern] = {
                **_about(pattern),
                "count": 0,
                "lines": 0,
                "accounts": [],
                "open_accounts": [],
                "recovered_accounts": [],
                "providers": [],
                "first": first,
                "last": last,
                "open": True,
                "fields": {},
                "samples": [],
                "last_error": found.note,
                "detector": True,
            }
        new = [a for a in found.accounts if a not in row["accounts"]]
        row["count"] += found.count if row["detector"] else len(new)
        row["accounts"] = sorted([*row["accounts"], *new])
        row["open_accounts"] = sorted([*row["open_accounts"], *new])
        row["providers"] = sorted({*row["providers"], *found.providers})
        row["open"] = row["open"] or bool(new) or not found.accounts
    return list(rows.values())


def _account_rows(accounts: pl.DataFrame, pairs: pl.DataFrame) -> list[dict[str, Any]]:
    patterns = {
        r["account"]: r
        for r in pairs.group_by("account")
        .agg(
            pl.struct("pattern", "events").alias("patterns"),
            pl.col("pattern").filter(~pl.col("recovered")).alias("open"),
            pl.col("pattern")
            .filter(~pl.col("recovered") & pl.col("breaks_account"))
            .alias("breaking"),
        )
        .to_dicts()
    }
    rows = []
    for a in accounts.sort("account").iter_rows(named=True):
        found = patterns.get(a["account"])
        counts = {p["pattern"]: p["events"] for p in found["patterns"]} if found else {}
        open_patterns = sorted(found["open"]) if found else []
        rows.append(
            {
                "account": a["account"],
                "provider": a["provider"],
                "state": a["state"],
                "state_since": iso(a["state_since"]),
                "auth": a["auth"],
                "patterns": dict(sorted(counts.items())),
                "open_patterns": open_patterns,
                "last_error": a["last_error"],
                "last_error_time": iso(a["last_error_time"]),
                "first": iso(a["first"]),
                "last": iso(a["last"]),
                "records": a["records"],
                # failing: an error state, or an open problem that stops the account working
                "failing": a["state"] in ERROR_STATES or bool(found and found["breaking"]),
            }
        )
    return rows


def _providers(accounts: list[dict[str, Any]], pairs: pl.DataFrame) -> list[dict[str, Any]]:
    frame = (
        pl.DataFrame(
            accounts,
            schema={"account": pl.String, "provider": pl.String, "failing": pl.Boolean},
            orient="row",
        )
        if accounts
        else pl.DataFrame(
            schema={"account": pl.String, "provider": pl.String, "failing": pl.Boolean}
        )
    )
    counts = {
        r["provider"]: r
        for r in frame.group_by("provider")
        .agg(pl.len().alias("accounts"), pl.col("failing").sum().alias("failing"))
        .to_dicts()
    }
    found = {
        r["provider"]: r
        for r in pairs.group_by("provider")
        .agg(pl.col("pattern").n_unique().alias("findings"), pl.col("events").sum())
        .to_dicts()
    }
    out = []
    for provider in PROVIDERS:
        if provider in counts:
            row = found.get(provider, {})
            out.append(
                {
                    "provider": provider,
                    "accounts": counts[provider]["accounts"],
                    "failing_accounts": counts[provider]["failing"],
                    "findings": row.get("findings", 0),
                    "events": row.get("events", 0),
                }
            )
    return out


def _incidents(
    collector: Collector, catalog: Catalog, accounts: pl.DataFrame, scope: Scope
) -> list[dict[str, Any]]:
    """Episodes of the same pattern close in time, merged: `6 Microsoft 365 accounts …`."""
    rows = [(e.pattern, e.account, e.start, e.end, e.events) for e in collector.all_episodes()]
    episodes = pl.DataFrame(
        rows,
        schema={
            "pattern": pl.String,
            "account": pl.String,
            "start": pl.Int64,
            "end": pl.Int64,
            "events": pl.Int64,
        },
        orient="row",
    )
    providers = accounts.select("account", "provider")
    episodes = episodes.join(providers, on="account", how="left")
    if scope.providers:
        episodes = episodes.filter(pl.col("provider").is_not_null())
    grouped = (
        episodes.sort("pattern", "start")
        .with_columns(
            (pl.col("start") > pl.col("end").cum_max().shift(1).over("pattern") + INCIDENT_GAP_MS)
            .fill_null(True)
            .cum_sum()
            .over("pattern")
            .alias("cluster")
        )
        .group_by("pattern", "cluster")
        .agg(
            pl.col("start").min(),
            pl.col("end").max(),
            pl.col("events").sum(),
            pl.col("account").filter(pl.col("account") != "").unique().sort().alias("accounts"),
            pl.col("provider").drop_nulls().unique().sort().alias("providers"),
        )
    )
    by_id = {p.id: p for p in catalog.patterns}
    out = []
    for row in grouped.sort("start", "pattern").to_dicts():
        pattern = by_id[row["pattern"]]
        accounts_hit, providers_hit = list(row["accounts"]), list(row["providers"])
        if len(accounts_hit) == 1:
            continue  # one account's trouble is its finding and account row, not an incident
        out.append(_incident_row(pattern, row, accounts_hit, providers_hit))
    return out


def _incident_row(
    pattern: Pattern, row: dict[str, Any], accounts: list[str], providers: list[str]
) -> dict[str, Any]:
    kind = (
        "provider-wide"
        if len(accounts) >= 3 and len(providers) == 1
        else "multi-account"
        if len(accounts) >= 2
        else "instance"
    )
    start, end = iso(row["start"]), iso(row["end"])
    span = f"{(start or '')[11:16]}–{(end or '')[11:16]} UTC"
    events = plural(row["events"], "event")
    if accounts:
        noun = plural(len(accounts), "account", count=False)
        who = (
            f"{len(accounts)} {PROVIDER_NAMES.get(providers[0], providers[0])} {noun}"
            if len(providers) == 1
            else f"{len(accounts)} {noun}"
        )
        summary = f"{who}: {pattern.title} ({span}, {events})."
    else:
        summary = f"{pattern.title} ({span}, {events})."
    return {
        "pattern": pattern.id,
        "title": pattern.title,
        "severity": pattern.severity,
        "kind": kind,
        "start": start,
        "end": end,
        "accounts": accounts,
        "providers": providers,
        "events": row["events"],
        "summary": summary,
    }


def _timeline(collector: Collector, shown: set[str]) -> list[dict[str, Any]]:
    return [
        {"hour": iso(hour * 3_600_000), "pattern": pid, "count": n}
        for (pid, hour), n in sorted(collector.hours.items(), key=lambda kv: kv[0][1])
        if pid in shown
    ]


def _unmatched(collector: Collector, scope: Scope) -> list[dict[str, Any]]:
    rows = sorted(collector.unmatched.templates.values(), key=lambda t: (-t.count, t.template))
    out = []
    for t in rows[:50]:
        if scope.providers and not t.accounts:
            continue
        out.append(
            {
                "template": t.template,
                "count": t.count,
                "level": t.level,
                "accounts": sorted(t.accounts)[:10],
                "sample": t.sample,
                "source": t.source,
                "line": t.line,
                "first": iso(t.first),
                "last": iso(t.last),
            }
        )
    return out


def _input(collector: Collector) -> dict[str, Any]:
    return {
        "records": collector.records,
        "unparsed": collector.unparsed,
        "filtered_out": collector.filtered,
        "sources": collector.sources,
        "first": iso(collector.first),
        "last": iso(collector.last),
        "levels": dict(sorted(collector.levels.items())),
        "emailengine_versions": collector.versions,
        "node_versions": collector.node_versions,
        "unparsed_samples": collector.unparsed_samples,
        "unparsed_reasons": dict(collector.unparsed_reasons.most_common()),
        "warnings": [],  # filled in by commands.check_input
    }


def _summary(
    findings: list[dict[str, Any]], accounts: list[dict[str, Any]], failing: set[str]
) -> dict[str, Any]:
    # the finding that restates incidents (provider-incident) is counted with their findings
    findings = [f for f in findings if not f.get("restates")]
    by_severity: dict[str, int] = {}
    for finding in findings:
        if finding["open"]:
            by_severity[finding["severity"]] = by_severity.get(finding["severity"], 0) + 1
    return {
        "findings": len(findings),
        "open_findings": sum(f["open"] for f in findings),
        "by_severity": by_severity,
        "accounts": len(accounts),
        "failing_accounts": len(failing),
    }
