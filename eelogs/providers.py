"""Which provider an account lives at, and how it authenticates, from what its records show.

The clues are data (patterns/_rules/providers.toml, loaded by accountrules.py): OAuth/API
URLs, provider-type fields, IMAP/SMTP hosts, error families (AADSTS…), scopes, server
greetings, email domains. Each clue adds a weight to a provider, once per account however
often it is seen; the account's provider is the heaviest.
"""

from __future__ import annotations

import functools
from typing import Any

from eelogs.accountrules import (
    AccountRules,
    Lookup,
    account_rules,
    clue_and_auth_blocks,
    email_domain,
)
from eelogs.match import Judge, field_values
from eelogs.parse import Record
from eelogs.signature import MEMO_LIMIT, Signature

PROVIDERS = ("gmail", "outlook", "yahoo", "icloud", "other", "unknown")
PROVIDER_NAMES = {
    "gmail": "Gmail / Google Workspace",
    "outlook": "Microsoft 365 / Outlook",
    "yahoo": "Yahoo / AOL",
    "icloud": "iCloud",
    "other": "Other provider",
    "unknown": "Unknown / self-hosted",
}


class ProviderRules:
    """Evaluates the clue, lookup and sign-in rules of a rule set on records, once per
    signature (signature.py): the account id's own clue (its email domain) once per
    account, apart, so that one account's lines do not split every other signature."""

    def __init__(self, rules: AccountRules) -> None:
        self._judge = Judge()
        self._rules = rules
        blocks = clue_and_auth_blocks(rules)
        reads = {(c.path, c.modifier) for b in blocks for c in b.conditions}
        reads |= {(p, "value") for lookup in rules.lookups for p in lookup.paths}
        reads.discard(("account", "value"))
        self._signature = Signature(reads, field_values)
        self._memo: dict[bytes, tuple[frozenset[tuple[str, int]], str | None]] = {}
        self._by_account: dict[str, frozenset[tuple[str, int]]] = {}

    def provider_of_host(self, host: str) -> str:
        """Provider for an IMAP/SMTP host name; a host nobody knows is `unknown`."""
        name = host.lower().rstrip(".")
        for provider, compiled in self._rules.hosts:
            if compiled.search(name):
                return provider
        return "unknown"

    def signals(self, record: Record) -> list[tuple[str, int]]:
        """The distinct (provider, weight) clues this record shows about its account."""
        found = self._answer(record)[0] | self._account_clues(record.account)
        return sorted(found)

    def auth_method(self, record: Record) -> str | None:
        """How the account signs in, when this record shows it."""
        return self._answer(record)[1]

    def _answer(self, record: Record) -> tuple[frozenset[tuple[str, int]], str | None]:
        key = self._signature.of(record)
        answer = self._memo.get(key) if key is not None else None
        if answer is None:
            answer = self._evaluate(record)
            if key is not None:
                if len(self._memo) >= MEMO_LIMIT:
                    self._memo.clear()
                self._memo[key] = answer
        return answer

    def _evaluate(self, record: Record) -> tuple[frozenset[tuple[str, int]], str | None]:
        view = self._judge.view(record)
        found: set[tuple[str, int]] = set()
        for clue in self._rules.clues:
            if self._judge.any_block("providers", clue.match, view):
                found.add((clue.provider, clue.weight))
        for lookup in self._rules.lookups:
            for path in (p for p in lookup.paths if p != "account"):
                found.update(self._lookup(lookup, view.values(path)))
        method = next(
            (
                a.method
                for a in self._rules.auth
                if self._judge.any_block("providers", a.match, view)
            ),
            None,
        )
        return frozenset(found), method

    def _account_clues(self, account: str | None) -> frozenset[tuple[str, int]]:
        if not account:
            return frozenset()
        found = self._by_account.get(account)
        if found is None:
            if len(self._by_account) >= MEMO_LIMIT:
                self._by_account.clear()
            found = self._by_account[account] = frozenset(
                clue
                for lookup in self._rules.lookups
                if "account" in lookup.paths
                for clue in self._lookup(lookup, [account])
            )
        return found

    def _lookup(self, lookup: Lookup, values: list[Any]) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for value in values:
            if isinstance(value, str) and value:
                out.extend(
                    self._looked_up(lookup.table, value, lookup.weight, lookup.unknown_weight)
                )
        return out

    def _looked_up(
        self, table: str, value: str, weight: int, unknown_weight: int | None
    ) -> list[tuple[str, int]]:
        if table == "hosts":
            provider = self.provider_of_host(value)
            if provider != "unknown":
                return [(provider, weight)]
            return [("unknown", unknown_weight)] if unknown_weight else []
        domain = email_domain(value)
        found = self._rules.domains.get(domain) if domain else None
        return [(found, weight)] if found else []


@functools.cache
def _shipped() -> ProviderRules:
    return ProviderRules(account_rules())


def provider_signals(record: Record) -> list[tuple[str, int]]:
    """(provider, weight) pairs that this record shows about its account."""
    return _shipped().signals(record)


def auth_method(record: Record) -> str | None:
    """How the account authenticates, when this record shows it."""
    return _shipped().auth_method(record)
