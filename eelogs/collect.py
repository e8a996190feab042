"""One pass over classified records: counts, events, episodes, account tracks.

Memory grows with accounts, patterns, episodes and hours, never with lines: a record is
looked at once and dropped. The polars stage (aggregate.py) turns what is kept into the report.
"""

from __future__ import annotations

import functools
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from eelogs.match import Match, error_text
from eelogs.parse import LEVEL_NAMES, Record, Unparsed, record_field
from eelogs.providers import auth_method, provider_signals
from eelogs.redact import REDACT_MARGIN, keep_text
from eelogs.states import clock_step, next_state, recovery_kind
from eelogs.unmatched import TemplateMiner

EVENT_WINDOW_MS = 5_000  # lines of one failure are written within milliseconds
EPISODE_GAP_MS = 30 * 60_000  # a quiet half hour ends an episode of the same problem
SAMPLES_PER_PATTERN = 3
TIMELINE_EVENTS = 50  # per account: its latest state changes and finding events
TIMELINE_TEXT = 240  # kept longer than shown, so redaction sees a whole secret before the cut
UNPARSED_SAMPLES = 20
# How much of a text a report keeps (keep_text redacts the whole text first)
SAMPLE_CHARS = 4000
UNPARSED_CHARS = 200
LAST_ERROR_CHARS = 500
_VERSION_MSGS = ("EmailEngine starting up", "Starting EmailEngine")
_ACCOUNT_COMPONENTS = frozenset({"connection-client", "imap-client"})


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One moment in an account's history: a state change or one event of a finding."""

    time: int
    kind: str  # "state" or "finding"
    value: str  # the new state, or the pattern id
    text: str | None


class AccountTrack:
    """What one account's records add up to. Lean on purpose: a run may see millions of
    accounts, most with a handful of records. Containers are made when first needed, and
    the small ones (auth counts, signal times, the timeline) are flat tuples, a third of a
    dict's size: a dict is made only when the report asks (`auth`, `signals`). Equal
    evidence sets and equal timeline texts are shared."""

    __slots__ = (
        "_auth",
        "_connected_at",
        "_short_lived",
        "_signals",
        "_timeline",
        "account",
        "evidence",
        "first",
        "last",
        "last_error",
        "last_error_time",
        "records",
        "state",
        "state_since",
        "timeline_dropped",
    )

    def __init__(self, account: str) -> None:
        self.account = account
        self.first: int | None = None
        self.last: int | None = None
        self.records = 0
        self.state = "unknown"
        self.state_since: int | None = None
        # distinct (provider, weight) evidence: the same clue seen a thousand times counts
        # once, and the sum does not depend on the order lines arrive in
        self.evidence: frozenset[tuple[str, int]] = frozenset()
        self.last_error: str | None = None
        self.last_error_time: int | None = None
        self.timeline_dropped = 0
        self._auth: tuple[str | int, ...] = ()  # method, records, method, records…
        self._signals: tuple[str | int, ...] = ()  # kind, time, kind, time…
        # time, kind, value, text of each kept event, the latest last, trimmed in batches
        self._timeline: tuple[int | str | None, ...] = ()
        self._connected_at: int | None = None
        self._short_lived: deque[int] | None = None

    def remember(self, event: TimelineEvent) -> None:
        """Keep the latest TIMELINE_EVENTS events, counting the older ones let go (in
        batches, so a long history costs no more than twice the kept events)."""
        kept = (*self._timeline, event.time, event.kind, event.value, _shared_text(event.text))
        if len(kept) >= 2 * TIMELINE_EVENTS * _EVENT_FIELDS:
            cut = len(kept) - TIMELINE_EVENTS * _EVENT_FIELDS
            kept = kept[cut:]
            self.timeline_dropped += cut // _EVENT_FIELDS
        self._timeline = kept

    def events(self) -> tuple[list[TimelineEvent], int]:
        """The kept events (at most TIMELINE_EVENTS, the latest) and how many went before."""
        flat = self._timeline
        count = len(flat) // _EVENT_FIELDS
        extra = max(0, count - TIMELINE_EVENTS)
        events = [
            TimelineEvent(*flat[i : i + _EVENT_FIELDS])  # type: ignore[arg-type]
            for i in range(extra * _EVENT_FIELDS, len(flat), _EVENT_FIELDS)
        ]
        return events, self.timeline_dropped + extra

    def add_evidence(self, clues: Iterable[tuple[str, int]]) -> None:
        grown = self.evidence.union(clues)
        if len(grown) != len(self.evidence):
            self.evidence = _shared(grown)

    def count_auth(self, method: str, records: int = 1) -> None:
        self._auth = _added(self._auth, method, records)

    @property
    def auth(self) -> dict[str, int] | None:
        """Records per auth method, None when no record said how the account logs in."""
        return _as_dict(self._auth)

    def signal_times(self) -> SignalTimes:
        """When each kind of recovery signal was last seen, to read and set."""
        return SignalTimes(self)

    @property
    def signals(self) -> dict[str, int] | None:
        return _as_dict(self._signals)

    def observe_state(self, time_ms: int | None, state: str) -> None:
        """The connection clock only learns from connects and disconnects."""
        if state in ("connected", "disconnected"):
            self._connected_at, ended = clock_step(self._connected_at, time_ms, state)
            if ended:
                if self._short_lived is None:
                    self._short_lived = deque(maxlen=64)
                assert time_ms is not None
                self._short_lived.append(time_ms)

    @property
    def short_lived(self) -> list[int]:
        """Times of connections that went down within SHORT_LIVED_MS of coming up."""
        return list(self._short_lived) if self._short_lived else []

    @property
    def provider(self) -> str:
        """The provider the evidence so far points to (`unknown` without any)."""
        return _provider_of(self.evidence)


class SignalTimes(MutableMapping[str, int]):
    """An account's signal times as a mapping, kept in the track as a flat tuple."""

    __slots__ = ("_track",)

    def __init__(self, track: AccountTrack) -> None:
        self._track = track

    def __getitem__(self, kind: str) -> int:
        found = _as_dict(self._track._signals) or {}
        return found[kind]

    def __setitem__(self, kind: str, t: int) -> None:
        self._track._signals = _added(self._track._signals, kind, t, replace=True)

    def __delitem__(self, kind: str) -> None:
        found = _as_dict(self._track._signals) or {}
        del found[kind]
        self._track._signals = tuple(x for pair in found.items() for x in pair)

    def __iter__(self) -> Iterator[str]:
        return iter(_as_dict(self._track._signals) or {})

    def __len__(self) -> int:
        return len(self._track._signals) // 2


_EVENT_FIELDS = 4  # time, kind, value, text
_TEXTS: dict[str, str] = {}


def _shared_text(text: str | None) -> str | None:
    """One object for each distinct timeline text: most accounts log the same messages."""
    if text is None:
        return None
    if len(_TEXTS) > 100_000:
        _TEXTS.clear()
    return _TEXTS.setdefault(text, text)


def _added(
    flat: tuple[str | int, ...], key: str, value: int, replace: bool = False
) -> tuple[str | int, ...]:
    """A flat (key, value, …) tuple with `value` added to (or, `replace`, put in place of)
    the key's value; a new key goes last, as in a dict."""
    for i in range(0, len(flat), 2):
        if flat[i] == key:
            old = flat[i + 1]
            assert isinstance(old, int)
            return (*flat[: i + 1], value if replace else old + value, *flat[i + 2 :])
    return (*flat, key, value)


def _as_dict(flat: tuple[str | int, ...]) -> dict[str, int] | None:
    if not flat:
        return None
    return {str(k): int(v) for k, v in zip(flat[::2], flat[1::2], strict=True)}


@functools.lru_cache(maxsize=4096)
def _provider_of(evidence: frozenset[tuple[str, int]]) -> str:
    """The heaviest provider of an evidence set: worked out once per distinct set, which
    classify and watch ask for after every record."""
    scores: Counter[str] = Counter()
    for provider, weight in evidence:
        scores[provider] += weight
    return top(scores) or "unknown"


_SHARED: dict[frozenset[tuple[str, int]], frozenset[tuple[str, int]]] = {}


def _shared(evidence: frozenset[tuple[str, int]]) -> frozenset[tuple[str, int]]:
    """One object for each distinct evidence set: thousands of accounts share a few."""
    if len(_SHARED) > 100_000:
        _SHARED.clear()
    return _SHARED.setdefault(evidence, evidence)


def top(counter: Mapping[str, int] | None) -> str | None:
    """The most counted name; ties go to a known provider, then alphabetically: the same
    answer whatever the order records came in."""
    if not counter:
        return None
    best: str = min(counter.items(), key=lambda kv: (-kv[1], kv[0] == "unknown", kv[0]))[0]
    return best


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
