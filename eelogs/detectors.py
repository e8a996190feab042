"""Problems no single line shows: found from account tracks, episodes and event rates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from eelogs.accounttable import AccountTable
from eelogs.catalog import Catalog
from eelogs.collect import Collector
from eelogs.filters import plural
from eelogs.parse import iso

STUCK_MS = 5 * 60_000
FLAP_WINDOW_MS = 60 * 60_000
FLAP_MIN = 3
RECURRING_EPISODES = 3
BURST_MINUTES, BURST_MIN = 5, 10
CRASH_MINUTES, CRASH_MIN = 10, 3
ProviderOf = Callable[[str], str | None]  # an account's provider; None: not in the report


@dataclass(frozen=True, slots=True)
class Detection:
    pattern: str
    accounts: tuple[str, ...]
    count: int
    first: int | None
    last: int | None
    providers: tuple[str, ...] = ()
    note: str | None = None


def detect(
    collector: Collector,
    catalog: Catalog,
    accounts: AccountTable,
    incidents: list[dict[str, Any]],
    end_ms: int,
) -> list[Detection]:
    """Run every detector whose pattern is in the catalog. `accounts`: the report's
    accounts, read by column: they may be millions."""
    enabled = {p.detector: p.id for p in catalog.patterns if p.detector}
    out: list[Detection] = []
    provider = accounts.provider_of
    if "stuck-connecting" in enabled:
        connecting = (
            accounts.frame.filter(pl.col("state") == "connecting")
            .with_columns(pl.col("provider", "state").cast(pl.String))
            .to_dicts()
        )
        out += _stuck(enabled["stuck-connecting"], connecting, end_ms)
    if "flapping" in enabled:
        out += _flapping(enabled["flapping"], collector, provider)
    if "oauth-recurring" in enabled:
        oauth = {p.id for p in catalog.patterns if p.category == "oauth"}
        out += _recurring(enabled["oauth-recurring"], collector, oauth, provider)
    webhooks = {p.id for p in catalog.patterns if p.category == "webhooks"}
    if "webhook-burst" in enabled:
        out += _burst(enabled["webhook-burst"], collector, webhooks, BURST_MINUTES, BURST_MIN)
    if "crash-loop" in enabled:
        out += _burst(enabled["crash-loop"], collector, {"worker-crash"}, CRASH_MINUTES, CRASH_MIN)
    if "provider-incident" in enabled:
        out += _provider_incidents(enabled["provider-incident"], incidents)
    return out


def _stuck(pid: str, accounts: list[dict[str, Any]], end_ms: int) -> list[Detection]:
    stuck = [
        a
        for a in accounts
        if a["state"] == "connecting"
        and a["state_since"] is not None
        and end_ms - a["state_since"] > STUCK_MS
    ]
    if not stuck:
        return []
    return [
        Detection(
            pid,
            tuple(sorted(a["account"] for a in stuck)),
            len(stuck),
            min(a["state_since"] for a in stuck),
            end_ms,
            tuple(sorted({a["provider"] for a in stuck})),
        )
    ]


def _flapping(pid: str, collector: Collector, provider: ProviderOf) -> list[Detection]:
    hits: dict[str, list[tuple[int, int]]] = {}
    for account, track in collector.accounts.items():
        times = track.short_lived
        if provider(account) is not None and any(
            times[i + FLAP_MIN - 1] - times[i] <= FLAP_WINDOW_MS
            for i in range(len(times) - FLAP_MIN + 1)
        ):
            hits[account] = [(t, t) for t in times]
    return _per_account(pid, hits, provider)


def _recurring(
    pid: str, collector: Collector, oauth: set[str], provider: ProviderOf
) -> list[Detection]:
    episodes: dict[str, list[tuple[int, int]]] = {}
    for episode in collector.all_episodes():
        if episode.pattern in oauth and provider(episode.account) is not None:
            episodes.setdefault(episode.account, []).append((episode.start, episode.end))
    hits = {a: sorted(e) for a, e in episodes.items() if len(e) >= RECURRING_EPISODES}
    note = plural(max(map(len, hits.values())), "separate episode") if hits else None
    return _per_account(pid, hits, provider, note)


def _per_account(
    pid: str,
    hits: dict[str, list[tuple[int, int]]],
    provider: ProviderOf,
    note: str | None = None,
) -> list[Detection]:
    """One detection over the accounts hit; each hit is a (start, end) span."""
    if not hits:
        return []
    return [
        Detection(
            pid,
            tuple(sorted(hits)),
            sum(len(spans) for spans in hits.values()),
            min(spans[0][0] for spans in hits.values()),
            max(spans[-1][1] for spans in hits.values()),
            tuple(sorted({provider(a) or "unknown" for a in hits})),
            note,
        )
    ]


def _burst(
    pid: str, collector: Collector, patterns: set[str], minutes: int, threshold: int
) -> list[Detection]:
    per_minute: Counter[int] = Counter()
    for found in patterns:
        track = collector.patterns.get(found)
        if track is not None:
            per_minute.update(track.minutes)
    windows = []
    for start in sorted(per_minute):
        total = sum(per_minute.get(start + k, 0) for k in range(minutes))
        if total >= threshold:
            windows.append((start, total))
    if not windows:
        return []
    first, last = windows[0][0] * 60_000, (windows[-1][0] + minutes) * 60_000
    return [
        Detection(
            pid,
            (),
            max(n for _, n in windows),
            first,
            last,
            note=f"peak of {max(n for _, n in windows)} in {plural(minutes, 'minute')}",
        )
    ]


def _provider_incidents(pid: str, incidents: list[dict[str, Any]]) -> list[Detection]:
    wide = [i for i in incidents if i["kind"] == "provider-wide"]
    if not wide:
        return []
    accounts = sorted({a for i in wide for a in i["accounts"]})
    return [
        Detection(
            pid,
            tuple(accounts),
            len(wide),
            None,
            None,
            tuple(sorted({p for i in wide for p in i["providers"]})),
            note="; ".join(i["summary"] for i in wide),
        )
    ]


def detection_times(
    detection: Detection, incidents: list[dict[str, Any]]
) -> tuple[str | None, str | None]:
    if detection.first is not None:
        return iso(detection.first), iso(detection.last)
    wide = [i for i in incidents if i["kind"] == "provider-wide"]
    return (min(i["start"] for i in wide), max(i["end"] for i in wide)) if wide else (None, None)
