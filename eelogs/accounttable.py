"""The report's accounts: a read-only sequence of rows, each made when it is asked for.

A run may see millions of accounts. A list of a dict per account cost more than the tracks
it was made from (issue 20: 2M accounts, 7 GB for a three-line text report), and the text,
Markdown and HTML views show only the failing accounts and counts per provider anyway. So
the report keeps, per account, only what it works out itself, as polars columns (the name,
provider, state, when the state began, whether the account is failing), plus the patterns
of the few accounts with findings; everything else is read from the collector's tracks when
a row is made. Whoever iterates (the JSON writer) gets the rows one at a time, each the same
dict, in the same key order, that the report used to hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import polars as pl

from eelogs.accountrows import Row
from eelogs.lifecycle import account_timeline
from eelogs.parse import iso
from eelogs.states import ERROR_STATES
from eelogs.tracks import AccountTrack, top

_CHUNK = 50_000  # accounts per step when columns are built or rows are read


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the findings say about one account: events per pattern (sorted by pattern),
    the patterns still open and whether one of those stops the account working."""

    patterns: dict[str, int]
    open_patterns: list[str]
    breaking: bool


@dataclass(frozen=True, slots=True)
class AccountSource:
    """Where rows are made from: the collector's tracks and how it keeps a last error."""

    tracks: Mapping[str, AccountTrack]
    kept_error: Callable[[str | None], str | None]
    facts: Mapping[str, AccountFacts] = field(default_factory=dict)
    providers: frozenset[str] = frozenset()  # only accounts of these are in the table


class AccountTable(Sequence[Row]):
    """The report's `accounts`: rows sorted by account, made on demand. `status` holds the
    --baseline status of the accounts that have one; `transform` is applied to every
    string of a row as it is made (--pseudonymize), never stored."""

    __slots__ = ("_errors", "frame", "source", "status", "transform")

    def __init__(
        self,
        frame: pl.DataFrame,
        source: AccountSource,
        status: Mapping[str, str] | None = None,
        transform: Callable[[str], str] | None = None,
    ) -> None:
        self.frame = frame  # account, provider, state, state_since, failing
        self.source = source
        self.status: Mapping[str, str] = status or {}
        self.transform = transform
        self._errors: dict[str | None, str | None] = {}  # last errors repeat: worked out once

    def __len__(self) -> int:
        return self.frame.height

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...
    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return list(self._rows(self.frame[index]))
        if index < -len(self) or index >= len(self):
            raise IndexError("account row out of range")
        return next(self._rows(self.frame[index % len(self) : index % len(self) + 1]))

    def __iter__(self) -> Iterator[Row]:
        for start in range(0, self.frame.height, _CHUNK):
            yield from self._rows(self.frame.slice(start, _CHUNK))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"AccountTable({len(self)} accounts)"

    def names(self) -> list[str]:
        """The account names, as the rows have them before `transform`."""
        return self.frame["account"].to_list()

    def failing_names(self) -> list[str]:
        """The failing accounts' names, as the rows have them before `transform`."""
        return self.frame.filter("failing")["account"].to_list()

    def present(self, names: Iterable[str]) -> list[str]:
        """Those of `names` that are accounts of the table."""
        wanted = sorted(names)
        if not wanted:
            return []
        return self.frame.filter(pl.col("account").is_in(wanted))["account"].to_list()

    def failing(self) -> list[Row]:
        """The failing accounts' rows only."""
        return list(self._rows(self.frame.filter("failing")))

    def healthy_counts(self) -> list[tuple[str, int]]:
        """Accounts that are not failing, per provider: most first, then by name."""
        counts: dict[str, int] = {}
        healthy = self.frame.filter(~pl.col("failing")).group_by("provider").len()
        for provider, n in healthy.iter_rows():
            name = self.transform(provider) if self.transform else provider
            counts[name] = counts.get(name, 0) + n
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def provider_of(self, account: str) -> str | None:
        """The account's provider, None when the account is not in the table."""
        track = self.source.tracks.get(account)
        if track is None:
            return None
        scope = self.source.providers
        return track.provider if not scope or track.provider in scope else None

    def with_status(self, status: Mapping[str, str]) -> AccountTable:
        return AccountTable(self.frame, self.source, status, self.transform)

    def with_transform(self, transform: Callable[[str], str] | None) -> AccountTable:
        return AccountTable(self.frame, self.source, self.status, transform)

    def _rows(self, part: pl.DataFrame) -> Iterator[Row]:
        columns = part.select("account", "provider", "failing")
        for account, provider, failing in columns.iter_rows():
            row = self._row(account, provider, failing)
            yield _transformed(row, self.transform) if self.transform else row

    def _row(self, account: str, provider: str, failing: bool) -> Row:
        track = self.source.tracks[account]
        found = self.source.facts.get(account)
        row: Row = {
            "account": account,
            "provider": provider,
            "state": track.state,
            "state_since": iso(track.state_since),
            "auth": top(track.auth),
            "patterns": dict(found.patterns) if found else {},
            "open_patterns": list(found.open_patterns) if found else [],
            "last_error": self._error(track.last_error),
            "last_error_time": iso(track.last_error_time),
            "first": iso(track.first),
            "last": iso(track.last),
            "records": track.records,
            "failing": failing,
            "timeline": account_timeline(track),
            "timeline_dropped": track.events()[1],
        }
        status = self.status.get(account)
        if status is not None:
            row["status"] = status
        return row

    def _error(self, text: str | None) -> str | None:
        if text not in self._errors:
            if len(self._errors) > 10_000:
                self._errors.clear()
            self._errors[text] = self.source.kept_error(text)
        return self._errors[text]


def _transformed(value: Any, transform: Callable[[str], str]) -> Any:
    """Every string of a row through `transform`, dict keys too (as redact.scrub does for
    account ids)."""
    if isinstance(value, str):
        return transform(value)
    if isinstance(value, dict):
        return {transform(k): _transformed(v, transform) for k, v in value.items()}
    if isinstance(value, list):
        return [_transformed(v, transform) for v in value]
    return value


def account_frame(
    tracks: Mapping[str, AccountTrack], providers: frozenset[str] = frozenset()
) -> pl.DataFrame:
    """The columns of the table, sorted by account, built a chunk at a time (no list of
    millions of values at once). `providers`: only accounts of these (empty: all)."""
    schema = {
        "account": pl.String,
        "provider": pl.Categorical,
        "state": pl.Categorical,
        "state_since": pl.Int64,
    }
    names = sorted(tracks)
    parts = []
    for start in range(0, len(names), _CHUNK):
        chunk = [tracks[name] for name in names[start : start + _CHUNK]]
        part = pl.DataFrame(
            {
                "account": [t.account for t in chunk],
                "provider": [t.provider for t in chunk],
                "state": [t.state for t in chunk],
                "state_since": [t.state_since for t in chunk],
            },
            schema=schema,
        )
        if providers:
            part = part.filter(pl.col("provider").cast(pl.String).is_in(sorted(providers)))
        parts.append(part)
    del names
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    return frame.with_columns(failing=pl.col("state").cast(pl.String).is_in(sorted(ERROR_STATES)))


def with_breaking(frame: pl.DataFrame, facts: Mapping[str, AccountFacts]) -> pl.DataFrame:
    """`failing` also for the accounts with an open problem that stops them working."""
    breaking = sorted(a for a, f in facts.items() if f.breaking)
    if not breaking:
        return frame
    return frame.with_columns(pl.col("failing") | pl.col("account").is_in(breaking))
