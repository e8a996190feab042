"""Reading a report's accounts whether they are a list of rows (a report loaded from JSON,
a test's) or a table whose rows are made when read (accounttable.AccountTable).

Without polars: the text, Markdown and HTML views, watch and the other commands import
this, and only analyze needs polars (its import takes a noticeable part of a second).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

Row = dict[str, Any]


@runtime_checkable
class LazyAccounts(Protocol):
    """What accounttable.AccountTable answers without making every row."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Row]: ...
    def names(self) -> list[str]: ...
    def failing_names(self) -> list[str]: ...
    def present(self, names: Iterable[str]) -> list[str]: ...
    def failing(self) -> list[Row]: ...
    def healthy_counts(self) -> list[tuple[str, int]]: ...
    def with_status(self, status: Mapping[str, str]) -> LazyAccounts: ...


def account_names(accounts: Sequence[Row]) -> Iterable[str]:
    """The accounts' names, without making their rows when they are a table."""
    if isinstance(accounts, LazyAccounts):
        return accounts.names()
    return (a["account"] for a in accounts)


def failing_rows(accounts: Sequence[Row]) -> list[Row]:
    """The failing accounts' rows; only those are made when the accounts are a table."""
    if isinstance(accounts, LazyAccounts):
        return accounts.failing()
    return [a for a in accounts if a.get("failing")]


def healthy_counts(accounts: Sequence[Row]) -> list[tuple[str, int]]:
    """Accounts that are not failing, per provider: most first, then by name."""
    if isinstance(accounts, LazyAccounts):
        return accounts.healthy_counts()
    counts: dict[str, int] = {}
    for account in accounts:
        if not account["failing"]:
            counts[account["provider"]] = counts.get(account["provider"], 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
