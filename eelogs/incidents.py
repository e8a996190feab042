"""Incidents: episodes of the same pattern close in time, over several accounts, merged."""

from __future__ import annotations

from typing import Any

import polars as pl

from eelogs.accounttable import AccountTable
from eelogs.catalog import Catalog, Pattern
from eelogs.collect import Collector
from eelogs.filters import plural
from eelogs.parse import iso
from eelogs.providers import PROVIDER_NAMES

INCIDENT_GAP_MS = 15 * 60_000


def find_incidents(
    collector: Collector, catalog: Catalog, accounts: AccountTable
) -> list[dict[str, Any]]:
    """Episodes of the same pattern close in time, merged: `6 Microsoft 365 accounts …`.
    Only the accounts of `accounts` count (a --provider report)."""
    episodes = pl.DataFrame(
        _episode_rows(collector, accounts),
        schema={
            "pattern": pl.String,
            "account": pl.String,
            "start": pl.Int64,
            "end": pl.Int64,
            "events": pl.Int64,
            "provider": pl.String,
        },
        orient="row",
    )
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


def _episode_rows(
    collector: Collector, accounts: AccountTable
) -> list[tuple[str, str, int, int, int, str | None]]:
    """Each episode with its account's provider: only the accounts of the table, and the
    episodes about no account unless the report is for some providers only."""
    rows = []
    scoped = bool(accounts.source.providers)
    for e in collector.all_episodes():
        provider = accounts.provider_of(e.account) if e.account else None
        if provider is None and (scoped or e.account):
            continue
        rows.append((e.pattern, e.account, e.start, e.end, e.events, provider))
    return rows


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
