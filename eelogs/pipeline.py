"""Wire the stages: inputs → framing → records → (time/account filter) → classification."""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from eelogs import __version__, timespec
from eelogs.aggregate import Scope, build_report
from eelogs.baseline import apply_baseline
from eelogs.catalog import Catalog
from eelogs.collect import Collector
from eelogs.conditions import abandoned_warning
from eelogs.fastpath import FastRun, fast_eligible, read_fast
from eelogs.fastplan import FastPlan
from eelogs.framing import deframe
from eelogs.lifecycle import QUIET_PERIOD_MS, measure_from
from eelogs.match import Classifier
from eelogs.parse import Record, Unparsed, iso, parse_payload
from eelogs.redact import keep_text
from eelogs.sources import Input, Progress, read_lines

CLASSIFY_MSG_CHARS = 200


@dataclass(frozen=True, slots=True)
class Window:
    """The records a run looks at: a time range and, optionally, some accounts only."""

    since_ms: int | None = None
    until_ms: int | None = None
    accounts: frozenset[str] = field(default_factory=frozenset)

    def admits(self, record: Record) -> bool:
        t = record.time_ms
        if t is not None:
            if self.since_ms is not None and t < self.since_ms:
                return False
            if self.until_ms is not None and t >= self.until_ms:
                return False
        return not self.accounts or record.account in self.accounts


def read_entries(
    inputs: Iterable[Input], progress: dict[str, Progress] | None = None
) -> Generator[Record | Unparsed, None, None]:
    """Every record and every unparsed line of the inputs, in input order. `progress`
    receives how far each input was read (for --state)."""
    for inp in inputs:
        done = Progress()
        if progress is not None:
            progress[inp.name] = done

        def note(cursor: str, done: Progress = done) -> None:
            done.cursor = cursor

        lines = read_lines(inp, done)
        for payload in deframe(lines, inp.name, inp.account_hint, inp.start_line + 1, note):
            yield parse_payload(payload)


@dataclass(frozen=True, slots=True)
class Analysis:
    """What `eelogs analyze` needs besides its inputs."""

    catalog: Catalog
    window: Window = field(default_factory=Window)
    scope: Scope = field(default_factory=Scope)
    baseline: dict[str, Any] | None = None
    baseline_name: str = ""
    redact: bool = True  # off with --no-redact
    quiet_ms: int = QUIET_PERIOD_MS  # when an account-less finding is over (lifecycle.py)


def analyze(
    inputs: Iterable[Input],
    analysis: Analysis,
    progress: dict[str, Progress] | None = None,
    fast: bool = True,
) -> dict[str, Any]:
    """Read, classify and aggregate: the report as plain rows (not yet redacted). `fast`
    lets plain JSON inputs take the columnar path (fastpath.py); the report is the same."""
    inputs = list(inputs)
    classifier = Classifier(analysis.catalog)
    collector = Collector(analysis.redact)
    window = analysis.window
    plan = FastPlan(analysis.catalog) if fast else None
    progress = progress if progress is not None else {}
    lines = 0  # read by this run: with --state, an input starts where the last run stopped
    for inp in inputs:
        if plan is not None and fast_eligible(inp):
            done = progress[inp.name] = Progress()
            read_fast(inp, FastRun(inp.name, collector, classifier, window, plan), done)
        else:
            for entry in read_entries([inp], progress):
                collector.feed(entry, classifier.classify, window.admits)
        lines += progress[inp.name].line - inp.start_line
    report = build_report(collector, analysis.catalog, analysis.scope, analysis.quiet_ms)
    report["input"]["lines"] = lines
    report["input"]["regex_timeouts"] = dict(classifier.regex_timeouts)
    report["input"]["abandoned_patterns"] = dict(sorted(classifier.regex_budget.abandoned.items()))
    if window.accounts:
        report["input"]["unmatched_accounts"] = _unmatched_accounts(window.accounts, collector)
        report["context"] = _ticket_context(inputs, analysis, fast)
        if report["context"]:
            measure_from(report["findings"], report["context"]["last"])
    if analysis.baseline is not None:
        apply_baseline(report, analysis.baseline, analysis.baseline_name)
    report["eelogs"] = {
        "version": __version__,
        "generated": _generated(),
        "window": {"since": iso(window.since_ms), "until": iso(window.until_ms)},
        "accounts": sorted(window.accounts),
        "providers": sorted(analysis.scope.providers),
    }
    return report


def _ticket_context(inputs: list[Input], analysis: Analysis, fast: bool) -> dict[str, Any] | None:
    """What an --account report cannot see in its own records: the window the whole input
    covers and the incidents that hit these accounts together with others. Needs a second
    read, so only files give it (stdin and commands are read once)."""
    if not inputs or any(i.path is None or i.argv for i in inputs):
        return None
    window = replace(analysis.window, accounts=frozenset())
    whole = analyze(inputs, replace(analysis, window=window, baseline=None), {}, fast)
    chosen = analysis.window.accounts
    return {
        "first": whole["input"]["first"],
        "last": whole["input"]["last"],
        "records": whole["input"]["records"],
        "incidents": [i for i in whole["incidents"] if chosen & set(i["accounts"])],
    }


def _unmatched_accounts(asked: frozenset[str], collector: Collector) -> dict[str, list[str]]:
    """Each --account that no record names, in or outside the time window, with the closest
    account names that records do carry (a typo is the usual cause)."""
    seen = set(collector.accounts) | collector.filtered_accounts
    by_lower: dict[str, str] = {}
    for name in sorted(seen):
        by_lower.setdefault(name.lower(), name)
    return {
        name: [by_lower[c] for c in difflib.get_close_matches(name.lower(), by_lower, n=3)]
        for name in sorted(asked - seen)
    }


def _generated() -> str:
    """When the report was made; SOURCE_DATE_EPOCH pins it for reproducible reports."""
    pinned = os.environ.get("SOURCE_DATE_EPOCH", "")
    moment = (
        datetime.fromtimestamp(int(pinned), tz=UTC)
        if pinned.isascii() and pinned.isdigit()
        else timespec.now()
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def classify_stream(
    inputs: Iterable[Input], catalog: Catalog, window: Window
) -> Iterator[dict[str, Any]]:
    """`eelogs classify`: one row per input record (and per unparsed line), in input order.
    Records go through the same Collector as `analyze`'s, so each account's provider and
    state after a record are the ones `analyze` would report after it."""
    classifier = Classifier(catalog)
    collector = Collector()
    for entry in read_entries(inputs):
        if isinstance(entry, Unparsed):
            yield {
                "line": entry.line,
                "pattern": None,
                "unparsed": True,
                "source": entry.source,
                "reason": entry.reason,
            }
            continue
        if not window.admits(entry):
            continue
        found, context = classifier.classify_with_context(entry)
        collector.add(entry, found)
        track = collector.accounts.get(entry.account) if entry.account else None
        yield {
            "line": entry.line,
            "pattern": found.pattern.id if found else None,
            "severity": found.pattern.severity if found else None,
            "context": context,
            "account": entry.account,
            "provider": track.provider if track else None,
            "state": track.state if track else None,
            "time": entry.time_iso,
            "level": entry.level_name,
            "msg": keep_text(entry.msg, CLASSIFY_MSG_CHARS, message=True),
            "source": entry.source,
            **({"fields": found.fields} if found and found.fields else {}),
        }
    for rule, why in classifier.regex_budget.abandoned.items():
        sys.stderr.write(f"Warning: {abandoned_warning(rule, why)}\n")
