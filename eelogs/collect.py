"""One pass over classified records: counts, events, episodes, account tracks.

Memory grows with accounts, patterns, episodes and hours, never with lines: a record is
looked at once and dropped. The polars stage (aggregate.py) turns what is kept into the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eelogs.match import Match, error_text
from eelogs.parse import LEVEL_NAMES, Record, Unparsed, record_field
from eelogs.providers import auth_method, provider_signals
from eelogs.redact import REDACT_MARGIN, keep_text
from eelogs.states import next_state, recovery_kind
from eelogs.tracks import AccountTrack, TimelineEvent
from eelogs.unmatched import TemplateMiner

EVENT_WINDOW_MS = 5_000  # lines of one failure are written within milliseconds
EPISODE_GAP_MS = 30 * 60_000  # a quiet half hour ends an episode of the same problem
SAMPLES_PER_PATTERN = 3
TIMELINE_TEXT = 240  # kept longer than shown, so redaction sees a whole secret before the cut
UNPARSED_SAMPLES = 20
# How much of a text a report keeps (keep_text redacts the whole text first)
SAMPLE_CHARS = 4000
UNPARSED_CHARS = 200
LAST_ERROR_CHARS = 500
_VERSION_MSGS = ("EmailEngine starting up", "Starting EmailEngine")
_ACCOUNT_COMPONENTS = frozenset({"connection-client", "imap-client"})


@dataclass
class PatternTrack:
    events: int = 0
    lines: int = 0
    first: int | None = None
    last: int | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, Counter[str]] = field(default_factory=dict)
    last_error: str | None = None
    provider_hints: Counter[str] = field(default_factory=Counter)
    minutes: Counter[int] = field(default_factory=Counter)


@dataclass
class OpenEvent:
    start: int
    roles: set[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Bulk:
    """What a block of fast-path rows adds to the counts (order does not matter here)."""

    source: str
    records: int
    filtered: int
    levels: list[tuple[int, int]]
    first: int
    last: int
    accounts: list[tuple[str, int, int, int]]  # account, records, first, last
    evidence: list[tuple[str, str, int]]  # account, provider, weight
    auth: list[tuple[str, str, int]]  # account, method, records


@dataclass
class Episode:
    pattern: str
    account: str
    start: int
    end: int
    events: int


class Collector:
    """Feed it every entry of a run (`add`), then hand it to aggregate.build_report.
    `redact` (off with --no-redact) masks secrets in what is kept of the log's text."""

    def __init__(self, redact: bool = True) -> None:
        self.redact = redact
        self.records = 0
        self.unparsed = 0
        self.filtered = 0
        # accounts of records outside the window: an --account that names none of these nor
        # an admitted account is a typo, not a quiet account
        self.filtered_accounts: set[str] = set()
        self.unparsed_reasons: Counter[str] = Counter()
        self.unparsed_samples: list[dict[str, Any]] = []
        self.levels: Counter[str] = Counter()
        self.sources: list[str] = []
        self.first: int | None = None
        self.last: int | None = None
        self.versions: list[str] = []
        self.node_versions: list[str] = []  # Node.js, from the same startup lines
        self.accounts: dict[str, AccountTrack] = {}
        self.patterns: dict[str, PatternTrack] = {}
        self.pairs: dict[tuple[str, str], list[int]] = {}  # events, lines, first, last
        self.hours: Counter[tuple[str, int]] = Counter()
        self.episodes: list[Episode] = []
        self.signals: dict[str, int] = {}
        self._open: dict[tuple[str, str], OpenEvent] = {}
        self._episode: dict[tuple[str, str], Episode] = {}
        self.unmatched = TemplateMiner(redact)
        self._clock = 0

    def note_filtered(self, record: Record) -> None:
        """A record outside the window or accounts: still the place the version is logged."""
        self.filtered += 1
        if record.account:
            self.filtered_accounts.add(record.account)
        self._version(record)

    def _version(self, record: Record) -> None:
        if record.msg not in _VERSION_MSGS:
            return
        version, node = record.data.get("version"), record.data.get("node")
        if isinstance(version, str) and version not in self.versions:
            self.versions.append(version)
        if isinstance(node, str) and node not in self.node_versions:
            self.node_versions.append(node)

    def add_unparsed(self, entry: Unparsed) -> None:
        self.unparsed += 1
        self.unparsed_reasons[entry.reason] += 1
        self._source(entry.source)
        if len(self.unparsed_samples) < UNPARSED_SAMPLES:
            self.unparsed_samples.append(
                {
                    "source": entry.source,
                    "line": entry.line,
                    "reason": entry.reason,
                    # a line of its own: where a protocol line stands (an AUTH answer)
                    "text": keep_text(entry.text, UNPARSED_CHARS, self.redact, message=True),
                }
            )

    def add(self, record: Record, match: Match | None) -> None:
        self.records += 1
        self.levels[record.level_name] += 1
        self._source(record.source)
        t = record.time_ms if record.time_ms is not None else self._clock
        self._clock = max(self._clock, t)
        if record.time_ms is not None:
            self.first = t if self.first is None else min(self.first, t)
            self.last = t if self.last is None else max(self.last, t)
        self._version(record)
        signal = recovery_kind(record)
        if signal:
            self.signals[signal] = t
        if record.account:
            self._account(record, match, t, signal)
        if match is not None:
            self._finding(record, match, t)
        elif record.level >= 40:
            self.unmatched.add(record)

    def _source(self, source: str) -> None:
        if (not self.sources or self.sources[-1] != source) and source not in self.sources:
            self.sources.append(source)

    def _account(self, record: Record, match: Match | None, t: int, signal: str | None) -> None:
        assert record.account is not None
        track = self.track(record.account)
        track.records += 1
        track.first = t if track.first is None else min(track.first, t)
        track.last = t if track.last is None else max(track.last, t)
        track.add_evidence(provider_signals(record))
        method = auth_method(record)
        if method:
            track.count_auth(method)
        self._step(track, record, t, record.time_ms)
        if signal:
            track.signal_times()[signal] = t
        if (
            match.pattern.scope != "instance"
            if match is not None
            else record.level >= 40 and record.component in _ACCOUNT_COMPONENTS
        ):
            track.last_error = _best_text(record)
            track.last_error_time = t

    def track(self, account: str) -> AccountTrack:
        track = self.accounts.get(account)
        if track is None:
            track = self.accounts[account] = AccountTrack(account)
        return track

    def _step(self, track: AccountTrack, record: Record, t: int, time_ms: int | None) -> None:
        """The order-dependent part of an account record: the state machine."""
        state = next_state(record, track.state)
        if state is not None:
            if state != track.state:
                track.state, track.state_since = state, t
                track.remember(TimelineEvent(t, "state", state, record.msg[:TIMELINE_TEXT] or None))
            track.observe_state(time_ms, state)

    def replay_state(self, account: str, probe: Record, t: int) -> None:
        """The state effect of a fast-path row, whose counts were taken in bulk: `probe` is a
        record with the row's message (fastplan.FastPlan.probes), `t` the row's time."""
        self._step(self.track(account), probe, t, t)

    def feed(
        self, entry: Record | Unparsed, classify: Callable[[Record], Match | None],
        admits: Callable[[Record], bool],
    ) -> Record | None:  # fmt: skip
        """One entry of the per-line path; the record when it was added."""
        if isinstance(entry, Unparsed):
            self.add_unparsed(entry)
            return None
        if not admits(entry):
            self.note_filtered(entry)
            return None
        self.add(entry, classify(entry))
        return entry

    def add_bulk(self, bulk: Bulk) -> None:
        """Counts of fast-path rows, taken with polars (fastpath.py)."""
        self.filtered += bulk.filtered
        if not bulk.records:
            return
        self.records += bulk.records
        self._source(bulk.source)
        for level, count in bulk.levels:
            self.levels[LEVEL_NAMES.get(level, str(level))] += count
        self.first = bulk.first if self.first is None else min(self.first, bulk.first)
        self.last = bulk.last if self.last is None else max(self.last, bulk.last)
        self._clock = max(self._clock, bulk.last)
        for account, count, first, last in bulk.accounts:
            track = self.track(account)
            track.records += count
            track.first = first if track.first is None else min(track.first, first)
            track.last = last if track.last is None else max(track.last, last)
        for account, provider, weight in bulk.evidence:
            self.track(account).add_evidence([(provider, weight)])
        for account, method, count in bulk.auth:
            self.track(account).count_auth(method, count)

    def advance_clock(self, t: int) -> None:
        self._clock = max(self._clock, t)

    def _finding(self, record: Record, match: Match, t: int) -> None:
        pattern = match.pattern
        pid, subject = pattern.id, record.account or ""
        track = self.patterns.get(pid)
        if track is None:
            track = self.patterns[pid] = PatternTrack()
        track.lines += 1
        key = (pid, subject)
        role = (record.msg, record.data.get("action"), record.components[-1:])
        event = self._open.get(key)
        new_event = not (event and t - event.start <= EVENT_WINDOW_MS and role not in event.roles)
        if new_event:
            self._open[key] = OpenEvent(t, {role})
            track.events += 1
            track.minutes[t // 60_000] += 1
            self.hours[(pid, t // 3_600_000)] += 1
            self._episode_step(key, t)
            if record.account:
                self.track(record.account).remember(
                    TimelineEvent(t, "finding", pid, _best_text(record)[:TIMELINE_TEXT])
                )
        else:
            assert event is not None
            event.roles.add(role)
        track.first = t if track.first is None else min(track.first, t)
        track.last = t if track.last is None else max(track.last, t)
        pair = self.pairs.get(key)
        if pair is None:
            self.pairs[key] = [1, 1, t, t]
        else:
            pair[0] += new_event
            pair[1] += 1
            pair[3] = max(pair[3], t)
        if len(track.samples) < SAMPLES_PER_PATTERN and (new_event or not track.samples):
            track.samples.append(
                {
                    "source": record.source,
                    "line": record.line,
                    "account": record.account,
                    "text": keep_text(record.raw, SAMPLE_CHARS, self.redact),
                }
            )
        for name, value in match.fields.items():
            counter = track.fields.setdefault(name, Counter())
            if len(counter) < 50 or str(value) in counter:
                counter[str(value) if not isinstance(value, str) else value] += 1
        track.last_error = _best_text(record)
        if not record.account:
            for provider, weight in provider_signals(record):
                track.provider_hints[provider] += weight

    def kept_error(self, text: str | None) -> str | None:
        """A last error as the report keeps it: redacted whole, then cut. Done once per
        account and pattern when the report is built, not on every record."""
        if text is None:
            return None
        return keep_text(text, LAST_ERROR_CHARS, self.redact, message=True)

    def _episode_step(self, key: tuple[str, str], t: int) -> None:
        episode = self._episode.get(key)
        if episode is not None and t - episode.end <= EPISODE_GAP_MS:
            episode.end = max(episode.end, t)
            episode.events += 1
            return
        if episode is not None:
            self.episodes.append(episode)
        self._episode[key] = Episode(key[0], key[1], t, t, 1)

    def all_episodes(self) -> list[Episode]:
        """Closed episodes plus those still open at the end of the input."""
        return self.episodes + list(self._episode.values())


_BEST_PATHS = (
    ("err", "response"),
    ("err", "tokenRequest", "response", "error_description"),
    ("err", "oauthRequest", "response", "error", "message"),
    ("response", "error", "message"),
    ("response", "error_description"),
    ("err", "reason"),
    ("err", "responseText"),
    ("error",),
    ("failedReason",),
    ("err", "message"),
)
_GENERIC = frozenset(
    {
        "Command failed",
        "OAuth2 request failed",
        "Unexpected close",
        "Authentication failed",
        "Failed to renew token",
    }
)


def _best_text(record: Record) -> str:
    """The most telling words of a failure: the provider's own when there are any. Kept
    longer than the report shows, so that redaction (kept_error) sees a secret across the
    cut whole."""
    keep = LAST_ERROR_CHARS + REDACT_MARGIN
    for path in _BEST_PATHS:
        node = record_field(record, path)
        if isinstance(node, str) and node.strip() and node not in _GENERIC:
            return node.strip()[:keep]
    return (record.msg or error_text(record).split("\n")[0])[:keep]
