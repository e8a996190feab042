"""Keep secrets out of reports: tokens, secrets, auth blobs, passwords, cookies (research §4.3).

Redaction runs over every string that leaves eelogs, in every format. Pseudonymisation of
email addresses and account ids is separate and opt-in, and stable, so grouping survives.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from typing import Any

MASK = "[REDACTED]"
# "key":"value" pairs in JSON text whose value is a secret. `code`, `state`, `data` and
# `token` are secrets only in some places, handled by the narrower patterns below.
_JSON_SECRET = re.compile(
    r'("(?:refresh_token|access_token|id_token|client_secret|clientSecret|assertion|password|'
    r"pass|accessToken|refreshToken|authorization|cookie|set-cookie|x-api-key|apiKey|api_key|"
    r'serviceKey|privateKey|private_key)"\s*:\s*)"(?:[^"\\]|\\.)*"'
)
_JSON_CONTEXT = (
    # OAuth authorization codes (long, with / or .) and OAuth `state` nonces; short codes
    # (ECONNREFUSED, result_fail) and account states (authenticationError) stay readable.
    (re.compile(r'("code"\s*:\s*)"(?=[^"]{20,})[^"]*[/.][^"]*"'), rf'\1"{MASK}"'),
    (re.compile(r'("state"\s*:\s*)"(?![a-z][A-Za-z]*")[^"]*"'), rf'\1"{MASK}"'),
    # raw socket dumps: `read from socket` / `write to socket` carry whole IMAP sessions
    (
        re.compile(r'("msg"\s*:\s*"(?:read from|write to) socket".*?"data"\s*:\s*)"[^"]*"'),
        rf'\1"{MASK}"',
    ),
    (
        re.compile(r'("data"\s*:\s*"[^"]*?"\s*,\s*"msg"\s*:\s*"(?:read from|write to) socket")'),
        f'"data":"{MASK}","msg":"socket dump"',
    ),
    (re.compile(r'("token"\s*:\s*)"[^"]{8,}"'), rf'\1"{MASK}"'),
    (re.compile(r'("(?:_original|rawPacket)"\s*:\s*)(\{.*?\}|"[^"]*")'), rf'\1"{MASK}"'),
    # joi validation errors carry the submitted value (passwords, secrets) in details
    (re.compile(r'("context"\s*:\s*\{[^{}]*?"value"\s*:\s*)"(?:[^"\\]|\\.)*"'), rf'\1"{MASK}"'),
)
_TEXT: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"ya29\.[\w.-]+"), f"ya29.{MASK}"),
    (re.compile(r"\b1//[\w.-]{8,}"), f"1//{MASK}"),
    (re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*"), f"eyJ.{MASK}"),
    (re.compile(r"GOCSPX-[\w-]+"), f"GOCSPX-{MASK}"),
    (re.compile(r"\b4/0A[\w-]{10,}"), f"4/0A{MASK}"),
    (re.compile(r"\b[01]\.A[\w-]{20,}"), f"1.A{MASK}"),
    (re.compile(r"\b[\w.-]{3}\dQ~[\w.~-]{20,}"), MASK),
    (re.compile(r"\b[0-9a-f]{64}\b"), MASK),
    (re.compile(r"(?i)\b(Bearer|Basic)\s+[\w.~+/=-]{8,}"), rf"\1 {MASK}"),
    (
        re.compile(
            r"(?i)(\bAUTH\s+(?:PLAIN|LOGIN|XOAUTH2|CRAM-MD5|OAUTHBEARER)\s+)[A-Za-z0-9+/=]{8,}"
        ),
        rf"\1{MASK}",
    ),
    (
        re.compile(
            r"(?i)(\bAUTHENTICATE\s+(?:PLAIN|XOAUTH2|OAUTHBEARER)\s+)(?!\"\(\*)[A-Za-z0-9+/=]{8,}"
        ),
        rf"\1{MASK}",
    ),
    (re.compile(r"(\"msg\"\s*:\s*\")([A-Za-z0-9+/]{16,}={0,2})(\")"), None),
    (re.compile(r"(://[^/\s:@\"]+:)[^@\s\"]+@"), rf"\1{MASK}@"),
    (re.compile(r"(?i)((?:password|passwd|pwd|pass)\s*[=:]\s*)[^\s,;&\"]+"), rf"\1{MASK}"),
    (
        re.compile(r"(?i)([?&](?:access_token|token|code|state|client_secret)=)[^&\s\"]+"),
        rf"\1{MASK}",
    ),
)
_BASE64_ONLY = re.compile(r"^[A-Za-z0-9+/]{16,}={0,2}$")
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


# Every rule below needs one of these; most strings of a report have none and skip the rest.
_TRIGGER = re.compile(
    r"ya29\.|1//|eyJ|GOCSPX|4/0A|[01]\.A[\w-]{20}|\dQ~|(?i:bearer|basic|auth|pass|token|secret|"
    r"code|state|socket|cookie|_original|rawpacket|context|client|assertion|api.?key)|://|"
    r"[0-9a-f]{64}|[A-Za-z0-9+/]{16}"
)


# The same test, cheaper on ASCII text (a report's tens of thousands of strings took 0.1 s):
# one search with a literal start, one for lower-case words. It finds a superset of what
# _TRIGGER finds: `.A` and `Q~` stand for the runs that hold them, a run of 64 hex digits
# holds a base64 run of 16, `api` stands for `api.?key`. Outside ASCII, case folding has
# extra letters (`ſ` is an `s`), so _TRIGGER decides there.
_TRIGGER_CASED = re.compile(r"[A-Za-z0-9+/]{16}|ya29\.|1//|eyJ|GOCSPX|4/0A|://|\.A|Q~")
_TRIGGER_WORDS = re.compile(
    r"bearer|basic|auth|pass|token|secret|code|state|socket|cookie|_original|rawpacket|"
    r"context|client|assertion|api"
)


def may_hold_secret(text: str) -> bool:
    """False when no rule of redact_text can match `text`."""
    if not text.isascii():
        return _TRIGGER.search(text) is not None
    return bool(_TRIGGER_CASED.search(text) or _TRIGGER_WORDS.search(text.lower()))


def redact_text(text: str) -> str:
    """Mask every secret this module knows in one string (a log line or a message)."""
    if not text or not may_hold_secret(text):
        return text
    if _BASE64_ONLY.match(text) and _auth_blob(text):
        return MASK  # an AUTH continuation line: base64 of user and secret
    text = _JSON_SECRET.sub(rf'\1"{MASK}"', text)
    for pattern, replacement in _JSON_CONTEXT:
        text = pattern.sub(replacement, text)
    for pattern, maybe in _TEXT:
        if maybe is None:  # a base64 msg: masked only when it decodes to credentials
            text = pattern.sub(
                lambda m: (
                    m.group(1) + (MASK if _auth_blob(m.group(2)) else m.group(2)) + m.group(3)
                ),
                text,
            )
        else:
            text = pattern.sub(maybe, text)
    return text


def _auth_blob(text: str) -> bool:
    """True when base64 text decodes to SASL credentials (user, NUL, secret, bearer)."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return any(
        marker in raw for marker in (b"\x00", b"@", b"auth=", b"secret", b"hidden", b"Bearer")
    )


class Pseudonyms:
    """Stable stand-ins for account ids and email addresses (same input, same output)."""

    def __init__(self, accounts: Iterable[str]) -> None:
        ordered = sorted({a for a in accounts if a}, key=len, reverse=True)
        self._accounts = {a: f"account-{_digest(a)}" for a in ordered}
        alternatives = "|".join(re.escape(a) for a in ordered)
        # whole ids only: `billing` must not eat the start of `billing@example.org`
        self._pattern = (
            re.compile(rf"(?<![\w.@+-])(?:{alternatives})(?![\w@+-]|\.\w)") if ordered else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is not None:  # account ids first: many of them are addresses
            text = self._pattern.sub(lambda m: self._accounts[m.group(0)], text)
        return _EMAIL.sub(lambda m: f"user-{_digest(m.group(0))}@{m.group(1)}", text)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:8]


def scrub(value: Any, redact: bool, pseudonyms: Pseudonyms | None) -> Any:
    """Apply redaction (and pseudonyms) to every string inside a report structure."""
    return _Scrub(redact, pseudonyms).value(value)


class _Scrub:
    """One pass over a report. A report repeats its strings (states, providers, pattern ids
    on thousands of accounts): each distinct one is worked out once, for values (redacted)
    and for keys (only pseudonymised) apart."""

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

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.values.get(value) or self.text(value, self.redact, self.values)
        if isinstance(value, dict):
            return {self.key(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def key(self, key: Any) -> Any:
        if not isinstance(key, str):
            return key
        return self.keys.get(key) or self.text(key, False, self.keys)
