"""Strip the wrappers logs arrive in and hand on one pino payload per record.

Recognised per line, without flags: raw pino NDJSON, `journalctl -o short/short-iso/json`,
`docker logs -t`, `docker compose logs`, Docker json-file lines (with >16 KiB partial lines
joined back), and pretty-printed multi-line JSON records.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

import orjson

# `Nov 23 10:00:00 host emailengine[123]: ` and `2026-11-23T10:00:00+0000 host ident[1]: `
_JOURNAL_SHORT = re.compile(
    r"^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r" [^\s{\"]+ [^\s\[\]:{\"]+(?:\[\d+\])?: "
)
_DOCKER_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ")
_COMPOSE = re.compile(r"^[\w.-]+\s+\| ")
# A pretty-printed record larger than this is not one: give its lines back one by one.
_PRETTY_MAX_LINES = 5000
JOURNAL_TOO_LONG = "journal-json-null"  # journalctl -o json printed MESSAGE as null
_PRETTY_MAX_CHARS = 8 * 1024 * 1024


class Payload(NamedTuple):
    """One candidate record: its text, the decoded object when the framing had to decode it,
    where it starts, and what the wrapper said about time and account."""

    text: str
    obj: dict[str, Any] | None
    source: str
    line: int
    framing: str
    time_hint: int | None = None
    account_hint: str | None = None


def deframe(
    lines: Iterable[str],
    source: str,
    account_hint: str | None = None,
    first_line: int = 1,
    on_cursor: Callable[[str], None] | None = None,
) -> Iterator[Payload]:
    """Yield one Payload per record in `lines` (the lines of one input, in order).

    `on_cursor` hears journald's `__CURSOR` of every entry read (for --state)."""
    state = _Deframer(source, account_hint)
    state.on_cursor = on_cursor
    for lineno, line in enumerate(lines, first_line):
        yield from state.feed(lineno, line)
    yield from state.finish()


class _Deframer:
    def __init__(self, source: str, account_hint: str | None) -> None:
        self.source = source
        self.on_cursor: Callable[[str], None] | None = None
        self.account_hint = account_hint
        self.pretty: list[tuple[int, str]] = []
        self.pretty_depth = 0
        self.pretty_chars = 0
        self.docker_parts: list[str] = []
        self.docker_start = 0
        self.journal_parts: list[str] = []
        self.journal_start = 0

    def feed(self, lineno: int, line: str) -> Iterator[Payload]:
        pending: deque[tuple[int, str]] = deque([(lineno, line)])
        while pending:
            n, text = pending.popleft()
            if self.pretty:
                yield from self._feed_pretty(n, text, pending)
            else:
                yield from self._feed_line(n, text)

    def finish(self) -> Iterator[Payload]:
        if self.docker_parts:
            yield self._payload("".join(self.docker_parts), self.docker_start, "docker-json")
        if self.journal_parts:
            yield self._payload("".join(self.journal_parts), self.journal_start, "journal-json")
        while self.pretty:  # an object never closed: give its lines back one by one
            pending = self._give_back()
            yield self._payload(pending[0][1], pending[0][0], "raw")
            for n, text in pending[1:]:
                if self.pretty:
                    self.pretty.append((n, text))
                else:
                    yield from self.feed(n, text)

    def _give_back(self) -> list[tuple[int, str]]:
        lines, self.pretty = self.pretty, []
        self.pretty_depth = self.pretty_chars = 0
        return lines

    def _payload(
        self,
        text: str,
        line: int,
        framing: str,
        obj: dict[str, Any] | None = None,
        time_hint: int | None = None,
    ) -> Payload:
        return Payload(text, obj, self.source, line, framing, time_hint, self.account_hint)

    def _feed_line(self, n: int, line: str) -> Iterator[Payload]:
        if line.startswith("{"):
            yield from self._feed_json(n, line, "raw", None)
            return
        framing, time_hint, body = _strip_prefix(line)
        if framing == "raw":
            if line.strip() == "{":
                self._start_pretty(n, line)
            else:
                yield self._payload(line, n, "raw")
            return
        yield from self._feed_json(n, body, framing, time_hint)

    def _feed_json(
        self, n: int, text: str, framing: str, time_hint: int | None
    ) -> Iterator[Payload]:
        if text.strip() == "{":
            self._start_pretty(n, text)
            return
        obj = loads(text)
        if obj is None:
            yield self._payload(text, n, framing, time_hint=time_hint)
            return
        if not isinstance(obj, dict):
            yield self._payload(text, n, framing, time_hint=time_hint)
        elif "level" in obj:  # a log record, even with fields named like a wrapper's
            yield self._payload(text, n, framing, obj, time_hint)
        elif "MESSAGE" in obj and ("__REALTIME_TIMESTAMP" in obj or "__CURSOR" in obj):
            yield from self._journal_entry(n, obj)
        elif "log" in obj and "stream" in obj and isinstance(obj["log"], str):
            yield from self._docker_entry(n, obj)
        else:
            yield self._payload(text, n, framing, obj, time_hint)

    def _journal_entry(self, n: int, entry: dict[str, Any]) -> Iterator[Payload]:
        cursor = entry.get("__CURSOR")
        if self.on_cursor is not None and isinstance(cursor, str):
            self.on_cursor(cursor)
        message = entry.get("MESSAGE")
        if isinstance(message, list):  # journald sends non-UTF-8 or binary text as bytes
            try:
                message = bytes(message).decode("utf-8", "replace")
            except (TypeError, ValueError):
                message = None
        if not isinstance(message, str):
            yield self._payload("", n, JOURNAL_TOO_LONG)
            return
        if not self.journal_parts:
            self.journal_start = n
        self.journal_parts.append(message)
        # journald splits lines longer than LineMax and marks all but the last piece.
        if entry.get("_LINE_BREAK") == "line-max":
            return
        text = "".join(self.journal_parts)
        self.journal_parts = []
        hint = _micros_to_ms(entry.get("__REALTIME_TIMESTAMP"))
        for payload in _Deframer(self.source, self.account_hint).feed(self.journal_start, text):
            yield _with(payload, framing="journal-json", time_hint=hint)

    def _docker_entry(self, n: int, entry: dict[str, Any]) -> Iterator[Payload]:
        if not self.docker_parts:
            self.docker_start = n
        piece: str = entry["log"]
        self.docker_parts.append(piece)
        # Docker splits lines over 16 KiB; every piece but the last lacks the newline.
        if not piece.endswith("\n"):
            return
        text = "".join(self.docker_parts).rstrip("\r\n")
        self.docker_parts = []
        hint = _iso_to_ms(entry.get("time"))
        for payload in _Deframer(self.source, self.account_hint).feed(self.docker_start, text):
            yield _with(payload, framing="docker-json", time_hint=hint)

    def _start_pretty(self, n: int, line: str) -> None:
        self.pretty = [(n, line)]
        self.pretty_depth = 1
        self.pretty_chars = len(line)

    def _feed_pretty(self, n: int, line: str, pending: deque[tuple[int, str]]) -> Iterator[Payload]:
        self.pretty.append((n, line))
        self.pretty_chars += len(line)
        self.pretty_depth += _brace_delta(line)
        if self.pretty_depth <= 0:
            text = "\n".join(t for _, t in self.pretty)
            obj = loads(text)
            if isinstance(obj, dict):
                start = self._give_back()[0][0]
                yield self._payload(text, start, "pretty", obj)
                return
        elif len(self.pretty) <= _PRETTY_MAX_LINES and self.pretty_chars <= _PRETTY_MAX_CHARS:
            return
        # not a pretty-printed record after all: the first line is garbage, the rest is
        # read again as ordinary lines, so nothing good is lost
        first, *rest = self._give_back()
        yield self._payload(first[1], first[0], "raw")
        pending.extendleft(reversed(rest))


def loads(text: str) -> Any:
    """orjson, with the standard library as a fallback for valid JSON orjson refuses
    (integers beyond 64 bits). None when the text is not JSON at all."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    if len(text) > _PRETTY_MAX_CHARS or not text.rstrip().endswith(("}", "]")):
        return None
    try:
        found = json.loads(text)
    except (ValueError, RecursionError):
        return None
    # Node cuts strings inside an emoji and writes a lone surrogate escape (\ud83d); orjson
    # refuses it, the standard library keeps it, and no output could encode it. Written as
    # UTF-8 by Node it would be U+FFFD, so that is what the record holds.
    return _without_lone_surrogates(found) if _SURROGATE_ESCAPE.search(text) else found


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _without_lone_surrogates(value: Any) -> Any:
    """The same value with every lone surrogate replaced by U+FFFD (iterative: any depth)."""
    fixed = _fix_text(value)
    stack = [fixed] if isinstance(fixed, (dict, list)) else []
    while stack:
        node = stack.pop()
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        if isinstance(node, dict):
            node.clear()
        for key, item in items:
            item = _fix_text(item)
            if isinstance(item, (dict, list)):
                stack.append(item)
            node[_fix_text(key)] = item
    return fixed


def _fix_text(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def _strip_prefix(line: str) -> tuple[str, int | None, str]:
    """Return (framing, time hint in ms, the rest) for a line that does not start with `{`."""
    match = _JOURNAL_SHORT.match(line)
    if match:
        return "journal-short", None, line[match.end() :]
    framing, body = "raw", line
    match = _COMPOSE.match(body)
    if match:
        framing, body = "compose", body[match.end() :]
    match = _DOCKER_TS.match(body)
    if match:
        framing = "docker-ts" if framing == "raw" else framing
        return framing, _iso_to_ms(match.group(1)), body[match.end() :]
    return framing, None, body


def _brace_delta(line: str) -> int:
    """Net `{`/`[` minus `}`/`]` outside JSON strings."""
    depth, in_string, escaped = 0, False, False
    for ch in line:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
    return depth


def _with(payload: Payload, framing: str, time_hint: int | None) -> Payload:
    return Payload(
        payload.text,
        payload.obj,
        payload.source,
        payload.line,
        framing if payload.framing != "pretty" else "pretty",
        time_hint,
        payload.account_hint,
    )


def _micros_to_ms(value: Any) -> int | None:
    try:
        return int(value) // 1000
    except (TypeError, ValueError):
        return None


def _iso_to_ms(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Python 3.11 accepts at most microseconds; Docker writes nanoseconds.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        return int(datetime.fromisoformat(text).timestamp() * 1000)
    except ValueError:
        return None
