"""Which provider an account lives at, and how it authenticates, from what its records show.

Signals, strongest first (research doc §6): OAuth/API URLs, provider-type fields, IMAP/SMTP
hosts, error families (AADSTS…), scopes, server greetings, email domains. Each signal adds a
weight to a provider; the account's provider is the heaviest.
"""

from __future__ import annotations

import re
from typing import Any

from eelogs.parse import Record, dig

PROVIDERS = ("gmail", "outlook", "yahoo", "icloud", "other", "unknown")
PROVIDER_NAMES = {
    "gmail": "Gmail / Google Workspace",
    "outlook": "Microsoft 365 / Outlook",
    "yahoo": "Yahoo / AOL",
    "icloud": "iCloud",
    "other": "Other provider",
    "unknown": "Unknown / self-hosted",
}

_URLS = (
    (
        re.compile(r"https://(?:oauth2|gmail|pubsub|www)\.googleapis\.com/|accounts\.google\.com"),
        "gmail",
    ),
    (
        re.compile(
            r"https://login\.(?:microsoftonline\.(?:com|us)|chinacloudapi\.cn)/|"
            r"https://(?:graph|dod-graph)\.microsoft\.(?:com|us)/|microsoftgraph\."
            r"chinacloudapi\.cn"
        ),
        "outlook",
    ),
)
_HOSTS = (
    (re.compile(r"(?:^|\.)(?:gmail|googlemail)\.com$"), "gmail"),
    (re.compile(r"(?:^|\.)(?:office365\.(?:com|us)|outlook\.(?:com|cn)|hotmail\.com)$"), "outlook"),
    (re.compile(r"(?:^|\.)(?:yahoo\.com|aol\.com|yahoo\.co\.\w+|verizon\.net)$"), "yahoo"),
    (re.compile(r"(?:^|\.)(?:mail\.me\.com|icloud\.com)$"), "icloud"),
    (
        re.compile(
            r"(?:^|\.)(?:fastmail\.com|zoho\.(?:com|eu|in)|yandex\.(?:com|ru)|mail\.ru|"
            r"gmx\.(?:com|net|de)|web\.de|secureserver\.net|ionos\.\w+|one\.com|"
            r"awsapps\.com|larksuite\.com|naver\.com|qq\.com|aliyun\.com|att\.net|"
            r"zone\.ee|protonmail\.ch|mailbox\.org|rambler\.ru|163\.com|titan\.email)$"
        ),
        "other",
    ),
)
_DOMAINS = {
    "gmail.com": "gmail",
    "googlemail.com": "gmail",
    "outlook.com": "outlook",
    "hotmail.com": "outlook",
    "live.com": "outlook",
    "msn.com": "outlook",
    "yahoo.com": "yahoo",
    "ymail.com": "yahoo",
    "aol.com": "yahoo",
    "verizon.net": "yahoo",
    "icloud.com": "icloud",
    "me.com": "icloud",
    "mac.com": "icloud",
    "fastmail.com": "other",
    "yandex.com": "other",
    "yandex.ru": "other",
    "mail.ru": "other",
    "gmx.com": "other",
    "gmx.net": "other",
    "gmx.de": "other",
    "web.de": "other",
    "zoho.com": "other",
    "proton.me": "other",
    "protonmail.com": "other",
}
_PROVIDER_TYPES = {
    "gmail": "gmail",
    "gmailService": "gmail",
    "outlook": "outlook",
    "outlookService": "outlook",
    "mailRu": "other",
}
# Every test provider_signals and auth_method make on a message: these regexes (written so
# that Python's and Rust's engines agree) and these exact messages. fastbulk.py keys its memo
# by which of them hold, not by the message (server greetings carry ids): a new test on msg
# belongs here.
MSG_TESTS = {
    "gmail-init": r"^Initializing Gmail",
    "outlook-init": r"^Initializing Outlook",
    "gmail-greeting": r"Gimap ready|\"GImap\"",
    "outlook-greeting": r"Microsoft Exchange IMAP4",
    "icloud-greeting": r"iCloud IMAP4|XAPPLEPUSHSERVICE",
    "yahoo-greeting": r"XYMHIGHESTMODSEQ|Yahoo",
    "oauth2-command": r"^\S+ AUTHENTICATE (?:XOAUTH2|OAUTHBEARER)",
    "password-command": r"^\S+ (?:LOGIN|AUTHENTICATE (?:PLAIN|LOGIN))\b",
}
_OAUTH2_REQUEST, _TOKEN_RENEWED = MSG_EQUALS = (
    "OAuth2 authentication request",
    "Renewed OAuth2 access token",
)
_MSG = {name: re.compile(source) for name, source in MSG_TESTS.items()}
_GREETINGS = tuple(
    (_MSG[f"{provider}-greeting"], provider) for provider in ("gmail", "outlook", "icloud", "yahoo")
)
_AADSTS = re.compile(r"AADSTS\d{5}")
_EMAIL_DOMAIN = re.compile(r"@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


# The record fields provider_signals and auth_method read besides msg, component, account and
# err, and the words without which the message cannot matter to them (fastpath.py relies on
# both lists: keep them complete when those functions change).
DATA_KEYS = ("url", "provider", "host", "servername", "src", "sub", "scopes", "user", "username")
MSG_WORDS = (
    "Initializing",
    "OAuth2",
    "LOGIN",
    "AUTHENTICATE",
    "Gimap",
    "GImap",
    "Microsoft Exchange IMAP4",
    "iCloud IMAP4",
    "XAPPLEPUSHSERVICE",
    "XYMHIGHESTMODSEQ",
    "Yahoo",
)


# A URL counts through its scheme and host, and through these words anywhere in it (_URLS,
# auth_method): the rest of a URL without them can be dropped without changing any answer.
URL_WORDS = ("google", "microsoft", "chinacloudapi")


def provider_of_host(host: str) -> str:
    """Provider for an IMAP/SMTP host name; a host nobody knows is `unknown` (self-hosted)."""
    name = host.lower().rstrip(".")
    for pattern, provider in _HOSTS:
        if pattern.search(name):
            return provider
    return "unknown"


def provider_signals(record: Record) -> list[tuple[str, int]]:
    """(provider, weight) pairs that this record shows about its account."""
    data, err, found = record.data, record.err or {}, []
    for url in _strings(
        data.get("url"), dig(err, ("tokenRequest", "url")), dig(err, ("oauthRequest", "url"))
    ):
        for pattern, provider in _URLS:
            if pattern.search(url):
                found.append((provider, 6))
    for kind in _strings(
        dig(err, ("tokenRequest", "provider")),
        dig(err, ("oauthRequest", "provider")),
        data.get("provider") if "url" in data else None,
    ):
        if kind in _PROVIDER_TYPES:
            found.append((_PROVIDER_TYPES[kind], 5))
    msg = record.msg
    if _MSG["gmail-init"].search(msg):
        found.append(("gmail", 6))
    elif _MSG["outlook-init"].search(msg):
        found.append(("outlook", 6))
    for host in _strings(data.get("host"), data.get("servername"), err.get("host")):
        provider = provider_of_host(host)
        found.append((provider, 5 if provider != "unknown" else 1))
    if data.get("src") == "s":
        found.extend((p, 3) for pattern, p in _GREETINGS if pattern.search(msg))
    if err and _AADSTS.search(str(err.get("message", ""))):
        found.append(("outlook", 4))
    for scope in _scopes(data.get("scopes")):
        if "google" in scope:
            found.append(("gmail", 3))
        elif "outlook.office" in scope or "graph.microsoft" in scope:
            found.append(("outlook", 3))
    for address in _strings(data.get("user"), data.get("username"), record.account):
        by_domain = _domain_provider(address)
        if by_domain:
            found.append((by_domain, 2))
    return found


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


def auth_method(record: Record) -> str | None:
    """How the account authenticates, when this record shows it."""
    msg, data = record.msg, record.data
    if _MSG["gmail-init"].search(msg):
        return "gmail-api"
    if _MSG["outlook-init"].search(msg):
        return "ms-graph"
    url = data.get("url")
    if isinstance(url, str) and record.component == "connection-client":
        if "gmail.googleapis.com" in url:
            return "gmail-api"
        if "graph.microsoft" in url:
            return "ms-graph"
    if data.get("src") == "c" and data.get("sub") == "imap-connection":
        if _MSG["oauth2-command"].search(msg):
            return "oauth2"
        if _MSG["password-command"].search(msg):
            return "password"
    renewed = msg == _TOKEN_RENEWED and record.component == "connection-client"
    if msg == _OAUTH2_REQUEST or renewed:
        return "oauth2"
    return None


def _domain_provider(address: str) -> str | None:
    match = _EMAIL_DOMAIN.search(address)
    return _DOMAINS.get(match.group(1).lower()) if match else None


def _strings(*values: Any) -> list[str]:
    return [v for v in values if isinstance(v, str) and v]


def _scopes(value: Any) -> list[str]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return value.split() if isinstance(value, str) else []
