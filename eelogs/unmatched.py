"""Warnings and errors the catalog does not know, folded into templates (as Drain does).

Variable parts are masked so that `connect ECONNREFUSED 203.0.113.25:993` and
`connect ECONNREFUSED 198.51.100.7:143` count as one template. Secrets are redacted before
that (a mask turns `1//0g…` into `<n>//…`, which no redaction rule knows any more).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from eelogs.match import error_text
from eelogs.parse import Record
from eelogs.redact import keep_text

MAX_TEMPLATES = 2000
MESSAGE_CHARS = 1000  # a 20 MB message needs no more to be told apart
SAMPLE_CHARS = 2000
_MASKS = (
    (re.compile(r"https?://\S+"), "<url>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
        "<uuid>",
    ),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\b[0-9a-fA-F:]*[0-9a-fA-F]{1,4}::?[0-9a-fA-F:]+\b"), "<ip>"),
    (re.compile(r"\b[0-9a-z]{20}(?::[mcs]:\d+)?\b"), "<cid>"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.I), "<hex>"),
    (re.compile(r"\"[^\"]{1,200}\""), '"<str>"'),
    (re.compile(r"'[^']{1,200}'"), "'<str>'"),
    (re.compile(r"\b\d+(?:\.\d+)?(?:ms|s|B)?\b"), "<n>"),
)


def mask(text: str) -> str:
    """The template of a message: variable parts replaced by <ip>, <email>, <n>…"""
    text = text[:MESSAGE_CHARS]
    for pattern, token in _MASKS:
        text = pattern.sub(token, text)
    return text[:300]


@dataclass
class Template:
    template: str
    level: int
    count: int = 0
    accounts: set[str] = field(default_factory=set)
    sample: str = ""
    source: str = ""
    line: int = 0
    first: int | None = None
    last: int | None = None


class TemplateMiner:
    """`redact` (off with --no-redact) masks secrets in a message before it is templated
    and in a sample before it is cut."""

    def __init__(self, redact: bool = True) -> None:
        self.redact = redact
        self.templates: dict[str, Template] = {}
        self.overflow = 0

    def add(self, record: Record) -> None:
        text = record.msg or error_text(record).split("\n")[0]
        text = keep_text(text, MESSAGE_CHARS, self.redact, message=True)
        code = (record.err or {}).get("code")
        key = mask(text) + (f" [{code}]" if isinstance(code, str) else "")
        found = self.templates.get(key)
        if found is None:
            if len(self.templates) >= MAX_TEMPLATES:
                self.overflow += 1
                return
            found = self.templates[key] = Template(
                key,
                record.level,
                sample=keep_text(record.raw, SAMPLE_CHARS, self.redact),
                source=record.source,
                line=record.line,
            )
        found.count += 1
        found.level = max(found.level, record.level)
        if record.account and len(found.accounts) < 20:
            found.accounts.add(record.account)
        t = record.time_ms
        if t is not None:
            found.first = t if found.first is None else min(found.first, t)
            found.last = t if found.last is None else max(found.last, t)
