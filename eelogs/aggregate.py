"""Turn what the collector kept into the report's rows, with polars.

Everything it returns is plain rows (dicts of str, int, lists), ready for JSON and the
templates, except the accounts: a read-only sequence whose rows are made when read
(accounttable.py), since a run may see millions of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from eelogs.accounttable import (
    AccountFacts,
    AccountSource,
    AccountTable,
    account_frame,
    with_breaking,
)
from eelogs.catalog import SEVERITIES, SIGNAL_KINDS, Catalog, Pattern
from eelogs.collect import Collector
from eelogs.detectors import Detection, detect, detection_times
from eelogs.incidents import find_incidents
from eelogs.lifecycle import QUIET_PERIOD_MS, end_findings, link_incidents
from eelogs.parse import iso
from eelogs.providers import PROVIDERS
from eelogs.tracks import top

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
    `accounts` is an AccountTable: its rows are made when they are read.
    `quiet_ms`: how long an account-less finding must not recur to count as over."""
    source = AccountSource(collector.accounts, collector.kept_error, providers=scope.providers)
    frame = account_frame(collector.accounts, scope.providers)
    pairs = _pairs_frame(collector, catalog, AccountTable(frame, source))
    facts = _account_facts(pairs)
    accounts = AccountTable(with_breaking(frame, facts), replace(source, facts=facts))
    del frame
    by_id = {p.id: p for p in catalog.patterns}
    incidents = find_incidents(collector, catalog, accounts)
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
    return {
        "input": _input(collector),
        "summary": _summary(findings, accounts),
        "findings": findings,
        "accounts": accounts,
        "providers": _providers(accounts, pairs),
        "incidents": incidents,
        "timeline": _timeline(collector, {f["pattern"] for f in findings}),
        "unmatched": _unmatched(collector, scope),
        "baseline": None,
    }


def _end(collector: Collector) -> int:
    return collector.last if collector.last is not None else 0


def _pairs_frame(collector: Collector, catalog: Catalog, accounts: AccountTable) -> pl.DataFrame:
    """One row per (pattern, account) of the report's accounts, with counts and whether the
    account recovered since."""
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
    signals = _signals_frame(collector, accounts, {account for _, account, *_ in rows})
    joined = pairs.join(signals, on="account", how="inner")
    joined = joined.join(_pattern_kinds(catalog), on="pattern", how="left")
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


def _pattern_kinds(catalog: Catalog) -> pl.DataFrame:
    """Per pattern: whether it stops an account working, and which signals end it."""
    return pl.DataFrame(
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


def _signals_frame(collector: Collector, accounts: AccountTable, names: set[str]) -> pl.DataFrame:
    """Provider and latest recovery signals of the named accounts that are in the table:
    only those with findings, not every account of the run."""
    webhook = collector.signals.get("webhook")
    rows = []
    for name in sorted(names):
        provider = accounts.provider_of(name)
        if provider is not None:
            signals = collector.accounts[name].signals or {}
            default = {"webhook": webhook}
            rows.append((name, provider, *(signals.get(k, default.get(k)) for k in SIGNAL_KINDS)))
    schema: dict[str, pl.DataType] = {"account": pl.String(), "provider": pl.String()}
    schema.update({f"sig_{k}": pl.Int64() for k in SIGNAL_KINDS})
    return pl.DataFrame(rows, schema=schema, orient="row")


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


def _account_facts(pairs: pl.DataFrame) -> dict[str, AccountFacts]:
    """Per account with findings: events per pattern, the open patterns, and whether one
    of those stops the account working."""
    open_ = ~pl.col("recovered")
    grouped = pairs.group_by("account").agg(
        pl.col("pattern"),
        pl.col("events"),
        pl.col("pattern").filter(open_).alias("open"),
        (open_ & pl.col("breaks_account")).any().alias("breaking"),
    )
    return {
        account: AccountFacts(
            dict(sorted(zip(patterns, events, strict=True))), sorted(open_patterns), breaking
        )
        for account, patterns, events, open_patterns, breaking in grouped.iter_rows()
    }


def _providers(accounts: AccountTable, pairs: pl.DataFrame) -> list[dict[str, Any]]:
    counts = {
        provider: (n, failing)
        for provider, n, failing in accounts.frame.group_by(pl.col("provider").cast(pl.String))
        .agg(pl.len(), pl.col("failing").sum())
        .iter_rows()
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
                    "accounts": counts[provider][0],
                    "failing_accounts": counts[provider][1],
                    "findings": row.get("findings", 0),
                    "events": row.get("events", 0),
                }
            )
    return out


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


def _summary(findings: list[dict[str, Any]], accounts: AccountTable) -> dict[str, Any]:
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
        "failing_accounts": int(accounts.frame["failing"].sum()),
    }
