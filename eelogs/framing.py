"""Strip the wrappers logs arrive in and hand on one pino payload per record.

Recognised per line, without flags: raw pino NDJSON, `journalctl -o short/short-iso/json`,
`docker logs -t`, `docker compose logs`, Docker json-file lines (with >16 KiB partial lines
joined back), and pretty-printed multi-line JSON records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from eelogs.bounded import LINE_CUT_TEXT, LINE_MAX, without_bom

# `Nov 23 10:00:00 host emailengine[123]: ` and `2026-11-23T10:00:00+0000 host ident[1]: `
_JOURNAL_SHORT = re.compile(
    r"^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r" [^\s{\"]+ [^\s\[\]:{\"]+(?:\[\d+\])?: "
)
_DOCKER_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ")
_COMPOSE = re.compile(r"^[\w.-]+\s+\| ")
# A pretty-printed record longer than this is not one: its lines are read again one by one
# (settled, below), each line looked at a bounded number of times.
PRETTY_MAX_LINES = 2000
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
        self.pretty: list[tuple[int, str, int]] = []  # line number, text, brace delta
        self.pretty_depth = 0
        self.pretty_chars = 0
        self.docker_parts: list[str] = []
        self.docker_start = self.docker_size = 0
        self.journal_parts: list[str] = []
        self.journal_start = self.journal_size = 0

    def feed(self, lineno: int, line: str) -> Iterator[Payload]:
        if self.pretty:
            yield from self._feed_pretty(lineno, line)
        else:
            yield from self._feed_line(lineno, line)

    def finish(self) -> Iterator[Payload]:
        if self.docker_parts:
            yield self._payload(_joined(self.docker_parts), self.docker_start, "docker-json")
        if self.journal_parts:
            text = _joined(self.journal_parts)
            yield self._payload(text, self.journal_start, "journal-json")
        if self.pretty:  # an object never closed
            yield from self._settle()

    def _give_back(self) -> list[tuple[int, str, int]]:
        lines, self.pretty = self.pretty, []
        self.pretty_depth = self.pretty_chars = 0
        return lines

    def _settle(self) -> Iterator[Payload]:
        """The lines of a `{` that did not become one record (it did not parse, it passed
        the look-ahead bound, or the input ended). Its first line is garbage. Another `{`
        among them whose braces close within them is tried as a record; every other line
        is read as an ordinary line. Each line is looked at a bounded number of times, so
        lines of lone `{` cost linear time, not quadratic."""
        lines = self._give_back()
        closes = _closing_lines(lines)
        yield self._payload(lines[0][1], lines[0][0], "raw")
        at = 1
        while at < len(lines):
            n, text, _ = lines[at]
            end = closes.get(at)
            if end is not None:
                joined = "\n".join(t for _, t, _ in lines[at : end + 1])
                obj = loads(joined)
                if isinstance(obj, dict):
                    yield self._payload(joined, n, "pretty", obj)
                    at = end + 1
                    continue
            if _opens_record(text):
                yield self._payload(text, n, "raw")
            else:
                yield from self._feed_line(n, text)
            at += 1

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
            self.journal_start, self.journal_size, message = n, 0, without_bom(message)
        self.journal_size = _add_part(self.journal_parts, message, self.journal_size)
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
            self.docker_start, self.docker_size = n, 0
        piece: str = entry["log"]
        self.docker_size = _add_part(self.docker_parts, piece, self.docker_size)
        # Docker splits lines over 16 KiB; every piece but the last lacks the newline.
        if not piece.endswith("\n"):
            return
        text = "".join(self.docker_parts).rstrip("\r\n")
        self.docker_parts = []
        hint = _iso_to_ms(entry.get("time"))
        for payload in _Deframer(self.source, self.account_hint).feed(self.docker_start, text):
            yield _with(payload, framing="docker-json", time_hint=hint)

    def _start_pretty(self, n: int, line: str) -> None:
        self.pretty = [(n, line, _brace_delta(line))]
        self.pretty_depth = 1
        self.pretty_chars = len(line)

    def _feed_pretty(self, n: int, line: str) -> Iterator[Payload]:
        delta = _brace_delta(line)
        self.pretty.append((n, line, delta))
        self.pretty_chars += len(line)
        self.pretty_depth += delta
        if self.pretty_depth <= 0:
            text = "\n".join(t for _, t, _ in self.pretty)
            obj = loads(text)
            if isinstance(obj, dict):
                start = self._give_back()[0][0]
                yield self._payload(text, start, "pretty", obj)
                return
        elif len(self.pretty) <= PRETTY_MAX_LINES and self.pretty_chars <= _PRETTY_MAX_CHARS:
            return
        # not a pretty-printed record after all: nothing good among its lines is lost
        yield from self._settle()


def _opens_record(line: str) -> bool:
    """Whether `line`, read as an ordinary line, starts a pretty-printed record."""
    if line.startswith("{") or _strip_prefix(line)[0] == "raw":
        return line.strip() == "{"
    return _strip_prefix(line)[2].strip() == "{"


def _closing_lines(lines: list[tuple[int, str, int]]) -> dict[int, int]:
    """For each line that opens a record, the line whose braces close it, if one does:
    the first later line where the running brace count drops below the count just after
    the opening line. One pass with a stack: linear in the lines."""
    closes: dict[int, int] = {}
    waiting: list[tuple[int, int]] = []  # (running count that closes it, opening line)
    running = 0
    for at, (_, text, delta) in enumerate(lines):
        running += delta
        while waiting and waiting[-1][0] >= running:
            closes[waiting.pop()[1]] = at
        if at and _opens_record(text):
            waiting.append((running - 1, at))
    return closes


def _joined(parts: list[str]) -> str:
    return "".join(parts)


def _add_part(parts: list[str], piece: str, size: int) -> int:
    """Add a piece of a line Docker or journald split; `size`: the pieces' length so far.
    A line past LINE_MAX characters is kept as its start and the bounded reader's cut mark
    (parse.py counts it as too long): joined pieces must not grow without bound where
    single lines cannot."""
    if parts and parts[-1] == LINE_CUT_TEXT:
        return size
    parts.append(piece)
    size += len(piece)
    if size > LINE_MAX:
        parts[:] = [_joined(parts)[:4096], LINE_CUT_TEXT]
    return size


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
