"""Keep secrets out of reports: tokens, secrets, auth blobs, passwords, cookies (research §4.3).

One function masks secrets, redact_text (secretforms.py says what a secret looks like). It
runs on the full text of everything a report keeps from the log (samples, last errors,
unknown-warning templates, unparsed lines, classify's msg) before that text is cut or
templated (keep_text), and again over every string of the finished report (scrub).
Pseudonymisation of email addresses and account ids is separate and opt-in, and stable, so
grouping survives.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

import orjson

from eelogs.framing import loads
from eelogs.secretforms import (
    MASK,
    TEXT_RULES,
    is_protocol_secret,
    is_secret_key,
    secret_in_context,
    unescape_word_chars,
)

__all__ = [
    "MASK",
    "LazyRows",
    "Pseudonyms",
    "keep_text",
    "may_hold_secret",
    "redact_text",
    "scrub",
]

# Text that is not JSON needs only local context to be redacted: what lies this far past a
# cut can never reach the report, and no secret is this long, so it is dropped first.
REDACT_MARGIN = 8192
# Past this depth a JSON value is looked at as text (a 1,000-level list must not exhaust the
# stack); a secret there masks the whole subtree.
_MAX_DEPTH = 64

# Every rule needs one of these; most strings of a report have none and skip the rest.
# `\\u00` stands for key names written with escapes (`\u0070assword`).
_CASED = (
    r"ya29\.|1//|eyJ|GOCSPX|4/[01]A|[01]\.A[\w-]{20}|\dQ~|://|M\.[A-Z]\d|AIza|SG\.|"
    r"gh[pousr]_|xox|sk_|-----BEGIN|334 |\\u00|[0-9a-f]{64}|[A-Za-z0-9+/]{16}"
)
_WORDS = (
    r"bearer|basic|auth|pass|pwd|token|secret|code|state|socket|cookie|_original|rawpacket|"
    r"context|client|assertion|api|key|credential|login|external"
)
_TRIGGER = re.compile(rf"{_CASED}|(?i:{_WORDS})")

# The same test, cheaper on ASCII text (a report's tens of thousands of strings took 0.1 s):
# one search with a literal start, one for lower-case words. It finds a superset of what
# _TRIGGER finds: `.A` and `Q~` stand for the runs that hold them, a run of 64 hex digits
# holds a base64 run of 16. Outside ASCII, case folding has extra letters (`ſ` is an `s`),
# so _TRIGGER decides there.
_TRIGGER_CASED = re.compile(
    r"[A-Za-z0-9+/]{16}|ya29\.|1//|eyJ|GOCSPX|4/[01]A|://|\.A|Q~|M\.[A-Z]\d|AIza|SG\.|"
    r"gh[pousr]_|xox|sk_|-----BEGIN|334 |\\u00"
)
_TRIGGER_WORDS = re.compile(_WORDS)


def may_hold_secret(text: str) -> bool:
    """False when no rule of redact_text can match `text`."""
    if not text.isascii():
        return _TRIGGER.search(text) is not None
    return bool(_TRIGGER_CASED.search(text) or _TRIGGER_WORDS.search(text.lower()))


def redact_text(text: str, keep: int | None = None) -> str:
    """Mask every secret this module knows in one string (a log line or a value). JSON text
    is read as JSON, so a key name is seen however it is written (`Password`, `pass\\u0077ord`)
    and JSON inside a string value is read too. `keep`: only that many characters of the
    result will be kept, so a longer string inside JSON is redacted (and returned) only up
    to REDACT_MARGIN characters past it (a 20 MB message costs no more than a short one)."""
    if not text or not may_hold_secret(text):
        return text
    if text.lstrip()[:1] in ("{", "["):
        found = _redact_json(text, keep)
        if found is not None:
            return found
    return _text_rules(text)


def redact_message(text: str, keep: int | None = None) -> str:
    """A log message (msg, a template, a last error): as redact_text, and a message that is
    base64 alone is a protocol line (an AUTH answer) and masked whole when it decodes to
    credentials or to text. Only a message's place says that: elsewhere (an account id)
    base64 is just characters."""
    return MASK if is_protocol_secret(text.strip()) else redact_text(text, keep)


def keep_text(text: str, limit: int, redact: bool = True, message: bool = False) -> str:
    """What a report keeps of a text from the log: redacted whole, then cut to `limit`
    characters, so a secret across the cut is masked whole. JSON is redacted whole (a key's
    value may be anywhere in it); other text needs only local context."""
    if not redact:
        return text[:limit]
    if len(text) > limit + REDACT_MARGIN and text.lstrip()[:1] not in ("{", "["):
        text = text[: limit + REDACT_MARGIN]
    return (redact_message(text, limit) if message else redact_text(text, limit))[:limit]


def _text_rules(text: str) -> str:
    text = unescape_word_chars(text)
    for pattern, replacement in TEXT_RULES:
        text = pattern.sub(replacement, text)
    return text


def _redact_json(text: str, keep: int | None) -> str | None:
    """JSON text redacted, or None when it is not JSON. The text keeps its form (key order,
    duplicate keys, spacing) when each changed string can be replaced where it stands;
    otherwise it is written again from the redacted value."""
    value = loads(text)
    if not isinstance(value, (dict, list)):
        return None
    walk = _Walk(None if keep is None else keep + REDACT_MARGIN)
    redacted = walk.value(value, None, 0)
    if not walk.edits and not walk.reshaped:
        return text
    if not walk.reshaped:
        out = text
        for old, new in sorted(walk.edits.items(), key=lambda kv: -len(kv[0])):
            quoted = _dumps(old)
            if quoted not in out:
                break  # written with other escapes: write the whole value again
            out = out.replace(quoted, _dumps(new))
        else:
            return out
    return _dumps(redacted)


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):  # an integer beyond 64 bits
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Walk:
    """One JSON value, redacted: secret keys masked, every string through the text rules.
    `edits` maps each changed string to its replacement; `reshaped` says a non-string value
    (a number, an object under a secret key) was replaced. Strings longer than `longest`
    are cut to it first: no more of them can reach the report."""

    def __init__(self, longest: int | None) -> None:
        self.longest = longest
        self.edits: dict[str, str] = {}
        self.reshaped = False

    def value(self, value: Any, key: str | None, depth: int) -> Any:
        if key is not None and _secret_value(key, value):
            return self._masked(value)
        if isinstance(value, str):
            name = "" if key is None else key.lower()
            if name == "account":  # an id: never a token, whatever its characters
                return value
            return self._string(value, name == "msg")
        if not isinstance(value, (dict, list)):
            return value
        if depth >= _MAX_DEPTH:
            try:
                text = orjson.dumps(value).decode()
            except (TypeError, orjson.JSONEncodeError):
                # deeper than orjson writes (255 levels): too deep to read, so not shown
                return self._masked(value)
            return self._masked(value) if _text_rules(text) != text else value
        if isinstance(value, list):
            return [self.value(item, None, depth + 1) for item in value]
        socket = value.get("msg") in ("read from socket", "write to socket")
        out = {}
        for name, item in value.items():
            lowered = name.lower()
            if socket and lowered == "data":  # imapflow's raw socket dump: a whole session
                item = self._masked(item)
            elif lowered == "context" and isinstance(item, dict):
                # a joi error detail's context carries the submitted value (a password)
                item = {k: self._masked(v) if _is_value(k, v) else v for k, v in item.items()}
            out[self._string(name, False)] = self.value(item, name, depth + 1)
        return out

    def _masked(self, value: Any) -> str:
        if value == MASK:
            return MASK
        if isinstance(value, str):
            self.edits[value] = MASK
        else:
            self.reshaped = True
        return MASK

    def _string(self, text: str, message: bool) -> str:
        new = text if self.longest is None else text[: self.longest]
        new = redact_message(new, self.longest) if message else redact_text(new, self.longest)
        if new != text and self.edits.get(text) != MASK:
            self.edits[text] = new
        return new


def _secret_value(key: str, value: Any) -> bool:
    if value is None or isinstance(value, bool) or value == "":
        return False  # nothing to hide, and `"password": null` says something
    return is_secret_key(key) or (isinstance(value, str) and secret_in_context(key, value))


def _is_value(key: str, value: Any) -> bool:
    return key.lower() == "value" and not (value is None or isinstance(value, bool))


# An address, also as EmailEngine's API paths write it (`user%40example.com`), and with an
# address literal for a domain (`user@[192.0.2.1]`).
_EMAIL = re.compile(
    r"([\w.+-]+)(@|%40)([\w-]+(?:\.[\w-]+)+|\[(?:IPv6:)?[0-9A-Fa-f:.]+\])", re.IGNORECASE
)
# Report keys whose values are account ids: pseudonymised on request, never redacted (a
# redacted id would merge accounts).
_ACCOUNT_KEY = re.compile(r"account|\w*_accounts|accounts")


class Pseudonyms:
    """Stable stand-ins for account ids and email addresses (same input, same output)."""

    def __init__(self, accounts: Iterable[str]) -> None:
        ids = {a for a in accounts if a}
        # an id also as a URL path writes it (`sales%40example.com`): the same stand-in
        self._accounts = {a: f"account-{_digest(a)}" for a in ids}
        self._accounts.update({quote(a, safe=""): self._accounts[a] for a in ids})
        ordered = sorted(self._accounts, key=len, reverse=True)
        alternatives = "|".join(re.escape(a) for a in ordered)
        # whole ids only: `billing` must not eat the start of `billing@example.org`
        self._pattern = (
            re.compile(rf"(?<![\w.@+%-])(?:{alternatives})(?![\w@+%-]|\.\w)") if ordered else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is not None:  # account ids first: many of them are addresses
            text = self._pattern.sub(lambda m: self._accounts[m.group(0)], text)
        return _EMAIL.sub(_pseudo_address, text)


def _pseudo_address(found: re.Match[str]) -> str:
    """`user-<digest>@domain`, the same digest for `user@domain` and `user%40domain`."""
    local, at, domain = found.groups()
    return f"user-{_digest(f'{local}@{domain}')}{at}{domain}"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:8]


@runtime_checkable
class LazyRows(Protocol):
    """Rows of account ids made when they are read (accounttable.AccountTable): scrubbed
    by a transform of their strings that runs as each row is made, not by a copy."""

    def with_transform(self, transform: Callable[[str], str] | None) -> LazyRows: ...


def scrub(value: Any, redact: bool, pseudonyms: Pseudonyms | None) -> Any:
    """Apply redaction (and pseudonyms) to every string inside a report structure."""
    return _Scrub(redact, pseudonyms).value(value)


class _Scrub:
    """One pass over a report. A report repeats its strings (states, providers, pattern ids
    on thousands of accounts): each distinct one is worked out once, for values (redacted)
    and for keys and account ids (only pseudonymised) apart."""

    def __init__(self, redact: bool, pseudonyms: Pseudonyms | None) -> None:
        self.redact, self.pseudonyms = redact, pseudonyms
        self.values: dict[str, str] = {}
        self.keys: dict[str, str] = {}

    def text(self, text: str, redact: bool, done: dict[str, str]) -> str:
        found = done.get(text)
        if found is None:
            found = redact_text(text) if redact else text
            if self.pseudonyms:
                found = self.pseudonyms(found)
            done[text] = found
        return found

    def value(self, value: Any, ids: bool = False) -> Any:
        if isinstance(value, str):
            if ids:
                return self.key(value)
            return self.values.get(value) or self.text(value, self.redact, self.values)
        if isinstance(value, dict):
            return {self.key(k): self.value(v, ids or _is_account_key(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, ids) for v in value]
        if isinstance(value, LazyRows):
            # account rows: every string is an id, so only pseudonymised (as `ids` above);
            # the stand-ins are cached a bounded number at a time, rows may be millions
            if self.pseudonyms is None:
                return value
            return value.with_transform(functools.lru_cache(maxsize=65_536)(self.pseudonyms))
        return value

    def key(self, key: Any) -> Any:
        if not isinstance(key, str):
            return key
        return self.keys.get(key) or self.text(key, False, self.keys)


def _is_account_key(key: Any) -> bool:
    return isinstance(key, str) and _ACCOUNT_KEY.fullmatch(key) is not None
