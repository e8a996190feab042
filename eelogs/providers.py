"""Which provider an account lives at, and how it authenticates, from what its records show.

The clues are data (patterns/_rules/providers.toml, loaded by accountrules.py): OAuth/API
URLs, provider-type fields, IMAP/SMTP hosts, error families (AADSTS…), scopes, server
greetings, email domains. Each clue adds a weight to a provider, once per account however
often it is seen; the account's provider is the heaviest.
"""

from __future__ import annotations

from eelogs.accountrules import AccountRules, account_rules, email_domain
from eelogs.match import Judge
from eelogs.parse import Record

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
    """Evaluates the clue, lookup and sign-in rules of a rule set on records."""

    def __init__(self, rules: AccountRules) -> None:
        self._judge = Judge()
        self._rules = rules

    def provider_of_host(self, host: str) -> str:
        """Provider for an IMAP/SMTP host name; a host nobody knows is `unknown`."""
        name = host.lower().rstrip(".")
        for provider, compiled in self._rules.hosts:
            if compiled.search(name):
                return provider
        return "unknown"

    def signals(self, record: Record) -> list[tuple[str, int]]:
        """The distinct (provider, weight) clues this record shows about its account."""
        view = self._judge.view(record)
        found: set[tuple[str, int]] = set()
        for clue in self._rules.clues:
            if self._judge.any_block("providers", clue.match, view):
                found.add((clue.provider, clue.weight))
        for lookup in self._rules.lookups:
            for path in lookup.paths:
                for value in view.values(path):
                    if isinstance(value, str) and value:
                        found.update(self._looked_up(lookup.table, value, lookup.weight,
                                                     lookup.unknown_weight))  # fmt: skip
        return sorted(found)

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

    def auth_method(self, record: Record) -> str | None:
        """How the account signs in, when this record shows it."""
        view = self._judge.view(record)
        for rule in self._rules.auth:
            if self._judge.any_block("providers", rule.match, view):
                return rule.method
        return None


_RULES: ProviderRules | None = None


def _shipped() -> ProviderRules:
    global _RULES
    if _RULES is None:
        _RULES = ProviderRules(account_rules())
    return _RULES


def provider_of_host(host: str) -> str:
    return _shipped().provider_of_host(host)


def provider_signals(record: Record) -> list[tuple[str, int]]:
    """(provider, weight) pairs that this record shows about its account."""
    return _shipped().signals(record)


def auth_method(record: Record) -> str | None:
    """How the account authenticates, when this record shows it."""
    return _shipped().auth_method(record)


class ProviderScores:
    """Running provider evidence per account, for the streaming commands."""

    def __init__(self) -> None:
        self._scores: dict[str, dict[str, int]] = {}

    def observe(self, record: Record) -> None:
        if record.account:
            scores = self._scores.setdefault(record.account, {})
            for provider, weight in provider_signals(record):
                scores[provider] = scores.get(provider, 0) + weight

    def best(self, account: str | None) -> str | None:
        scores = self._scores.get(account or "")
        if account and scores is None:
            return "unknown"
        return max(scores.items(), key=lambda kv: kv[1])[0] if scores else None
