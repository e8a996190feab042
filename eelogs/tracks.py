"""What the collector keeps per account: its track (collect.py feeds it).

Lean on purpose: a run may see millions of accounts (issue 20), most with a handful of
records, so a track holds flat tuples where a dict or a list of objects would cost three
times as much, and shares what accounts have in common.
"""

from __future__ import annotations

import functools
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import TypeVar

from eelogs.states import clock_step

_T = TypeVar("_T")
TIMELINE_EVENTS = 50  # per account: its latest state changes and finding events


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
_SHARED_LIMIT = 100_000  # distinct values kept per table: ids would grow it forever


def _interned(table: dict[_T, _T], value: _T) -> _T:
    """One object for each distinct value: thousands of accounts hold equal ones."""
    if len(table) > _SHARED_LIMIT:
        table.clear()
    return table.setdefault(value, value)


def _shared_text(text: str | None) -> str | None:
    """Most accounts log the same messages: their timeline texts are one object each."""
    return None if text is None else _interned(_TEXTS, text)


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
    """Thousands of accounts share a few evidence sets: one object each."""
    return _interned(_SHARED, evidence)


def top(counter: Mapping[str, int] | None) -> str | None:
    """The most counted name; ties go to a known provider, then alphabetically: the same
    answer whatever the order records came in."""
    if not counter:
        return None
    best: str = min(counter.items(), key=lambda kv: (-kv[1], kv[0] == "unknown", kv[0]))[0]
    return best
