"""What an error is, in machine terms: the codes and server answers a record carries.

A signal is `kind:value`. Patterns match signals, not the message that carried them, so the
same AADSTS code or IMAP response code is recognised under any `msg`, inside an
AggregateError, in a nested `cause`, in the stack or in a JSON body logged as a string.

    code    error codes: `code` at any depth (ECONNREFUSED, EAUTH, CERT_HAS_EXPIRED,
            ErrorItemNotFound), and Node's codes named in error texts (`connect EHOSTUNREACH`)
    imap    IMAP response codes: `serverResponseCode`, `[ALERT]`-style codes in responses
    smtp    SMTP reply codes (`responseCode`, `535 5.7.139 …`) and enhanced status codes
    http    HTTP status: `statusCode`, `status`, and a numeric `code` in an API error body
    oauth   OAuth error strings: the `error` of a token endpoint's answer (invalid_grant)
    aadsts  Microsoft identity platform codes: `error_codes` and AADSTS… in texts
    reason  Google API reasons: `errors[].reason`, upper-case `status` (RESOURCE_EXHAUSTED)

The walk is iterative and bounded (depth, nodes, text length), so a hostile record can
neither recurse Python to death nor make one line cost seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

KINDS = ("code", "imap", "smtp", "http", "oauth", "aadsts", "reason")
MAX_DEPTH = 16
MAX_NODES = 4096
MAX_TEXT = 8192

# Top-level keys besides `err` where EmailEngine and its libraries put a failure's details.
TOP_KEYS = (
    "response",
    "error",
    "errors",
    "reason",
    "statusCode",
    "status",
    "responseCode",
    "serverResponseCode",
    "error_codes",
    "error_description",
    "failedReason",
)
_HTTP_KEYS = frozenset({"statusCode", "status", "httpStatus", "httpStatusCode"})
_TEXT_CODE = re.compile(
    r"\b(E[A-Z]{3,}[A-Z0-9_]*|ERR_[A-Z0-9_]+|(?:CERT|DEPTH|UNABLE|SELF|HOSTNAME)_[A-Z0-9_]+)\b"
)
_IMAP_CODE = re.compile(r"\[([A-Z][A-Z0-9-]{2,})[\] ]")
_SMTP_ENHANCED = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
_SMTP_REPLY = re.compile(r"(?:^|(?<=[:\s]))([245]\d\d)[ -](?=[245]\.\d{1,3}\.\d{1,3})")
_AADSTS = re.compile(r"AADSTS(\d{4,7})")
_OAUTH_TEXT = re.compile(
    r"(?<![\w/.])((?:invalid|unauthorized|unsupported|deleted|temporarily|access|interaction|"
    r"consent|login|server|expired|insufficient)_[a-z]+(?:_[a-z]+)*)(?![\w/=])"
)
_JSON_PAIR = re.compile(r'"(error|reason|code)"\s*:\s*"([A-Za-z][\w.-]{1,63})"')
_SNAKE = re.compile(r"^[a-z]+(?:_[a-z]+)*$")
_WORD = re.compile(r"^[A-Za-z][\w.-]{0,63}$")


def signals(err: dict[str, Any] | None, data: dict[str, Any], msg: str) -> frozenset[str]:
    """Every signal of one record: its `err` walked whole, a few top-level keys, and `msg`."""
    found: set[str] = set()
    roots: list[tuple[Any, str, int]] = []
    if err is not None:
        roots.append((err, "err", 0))
    roots.extend((data[key], key, 1) for key in TOP_KEYS if key in data)
    for key, value in _walk(roots):
        _from_value(key, value, found)
    _from_text(msg, found)
    return frozenset(found)


def needles(signal: str) -> list[str]:
    """Substrings one of which every raw line carrying `signal` contains, so a quick scan of
    raw text can rule lines out. A word is copied from the line as written; a number would
    match any timestamp or id, so it is looked for in the forms this module reads it from:
    after its key (JSON has no space there) or in the text forms of `_from_text`."""
    kind, _, value = signal.partition(":")
    if not value.isdigit():
        return [value]
    if kind == "aadsts":
        return [f"AADSTS{value}", '"error_codes":[']
    if kind == "http":
        keys = (*_HTTP_KEYS, "code")
        return [f'"{key}":{value}' for key in keys] + [f'"{key}":"{value}"' for key in keys]
    if kind == "smtp":
        return [f'"responseCode":{value}', f"{value} ", f"{value}-"]
    return [value]


def _walk(roots: list[tuple[Any, str, int]]) -> Iterator[tuple[str, Any]]:
    """(key, value) of every scalar under the roots, depth first, within the bounds."""
    stack = list(reversed(roots))
    nodes = 0
    while stack and nodes < MAX_NODES:
        node, key, depth = stack.pop()
        nodes += 1
        if isinstance(node, dict):
            if depth < MAX_DEPTH:
                stack.extend((v, str(k), depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            if depth < MAX_DEPTH:
                # a list's items carry the list's key: error_codes[3] is still an error code
                stack.extend((v, key, depth + 1) for v in reversed(node))
        else:
            yield key, node


def _from_value(key: str, value: Any, found: set[str]) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        _from_number(key, value, found)
    elif isinstance(value, str):
        _from_string(key, value, found)


def _from_number(key: str, value: int, found: set[str]) -> None:
    if key == "error_codes":
        found.add(f"aadsts:{value}")
    elif key == "responseCode" and 200 <= value < 600:
        found.add(f"smtp:{value}")
    elif (key in _HTTP_KEYS or key == "code") and 100 <= value < 600:
        found.add(f"http:{value}")


def _from_string(key: str, value: str, found: set[str]) -> None:
    if key == "code" and _WORD.match(value):
        found.add(f"code:{value}")
    elif key == "serverResponseCode" and _WORD.match(value):
        found.add(f"imap:{value.upper()}")
    elif key == "error" and _SNAKE.match(value) and len(value) <= 40:
        found.add(f"oauth:{value}")
    elif (key == "reason" or (key == "status" and value.isupper())) and _WORD.match(value):
        found.add(f"reason:{value}")
    elif key in _HTTP_KEYS and value.isdigit() and len(value) == 3:
        found.add(f"http:{value}")
    _from_text(value, found)


def _from_text(text: str, found: set[str]) -> None:
    """Codes written inside free text: messages, server responses, stacks, JSON bodies."""
    text = text[:MAX_TEXT]
    if not text:
        return
    found.update(f"code:{m}" for m in _TEXT_CODE.findall(text))
    if "[" in text:
        found.update(f"imap:{m}" for m in _IMAP_CODE.findall(text))
    if "." in text:
        found.update(f"smtp:{m}" for m in _SMTP_ENHANCED.findall(text))
        found.update(f"smtp:{m}" for m in _SMTP_REPLY.findall(text))
    if "AADSTS" in text:
        found.update(f"aadsts:{m}" for m in _AADSTS.findall(text))
    if "_" in text:
        found.update(f"oauth:{m}" for m in _OAUTH_TEXT.findall(text))
    if '"' in text:
        for key, value in _JSON_PAIR.findall(text):
            _from_string(key, value, found)


def shallow(value: Any) -> Any:
    """`value` as a pattern may read and a report may show it: a container is copied with
    whatever lies deeper than MAX_DEPTH levels replaced by "…", and at most MAX_NODES
    items. A record may nest ~1024 levels (orjson's limit); str(), the report's writers
    and any recursive walk would fail long before that. Iterative, like _walk."""
    if not isinstance(value, (dict, list)):
        return value
    top: dict[Any, Any] | list[Any] = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any, int]] = [(value, top, 1)]
    nodes = 0
    while stack:
        source, copy, depth = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            nodes += 1
            if nodes > MAX_NODES:
                return top
            if isinstance(item, (dict, list)):
                if depth >= MAX_DEPTH:
                    item = "…"
                else:
                    child: Any = {} if isinstance(item, dict) else []
                    stack.append((item, child, depth + 1))
                    item = child
            if isinstance(copy, dict):
                copy[key] = item
            else:
                copy.append(item)
    return top
