"""Turn one payload into a normalised Record, or say why it is not one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from eelogs.bounded import LINE_CUT_TEXT, LINE_TOO_LONG
from eelogs.framing import JOURNAL_TOO_LONG, Payload, loads

LEVEL_NAMES = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
_LEVEL_NUMBERS = {name: number for number, name in LEVEL_NAMES.items()}
_KEY_START = {key: re.compile(rf'"{key}"\s*:\s*"') for key in ("component", "cid")}
_LEVEL_NUMBERS.update({"warning": 40, "err": 50, "critical": 60, "crit": 60, "notice": 30})
JOURNAL_TOO_LONG_REASON = "journalctl left out a message over 4096 bytes: run journalctl with --all"


class Record(NamedTuple):
    """One EmailEngine log entry, normalised (a NamedTuple: immutable and cheap to build,
    which matters at a million lines).

    `component` is the first `component` of the line (the EmailEngine subsystem) and
    `components` every value, because EmailEngine writes the key twice (nodemailer adds
    `smtp-pool`). Likewise `cid` is the per-account client id and `conn_id` imapflow's
    connection id (`<cid>:m:<n>`) when the line carries both.
    """

    time_ms: int | None
    level: int
    msg: str
    account: str | None
    component: str | None
    components: tuple[str, ...]
    cid: str | None
    conn_id: str | None
    tid: int | None
    err: dict[str, Any] | None
    data: dict[str, Any]
    raw: str
    source: str
    line: int

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.level, str(self.level))

    @property
    def time_iso(self) -> str | None:
        return iso(self.time_ms)


@dataclass(frozen=True, slots=True)
class Unparsed:
    """A line that is not a log record (banner, stack trace, truncated JSON, garbage).
    `text` is the whole line: the collector redacts it before it keeps a part of it."""

    source: str
    line: int
    reason: str
    text: str


def dig(node: Any, keys: Sequence[str]) -> Any:
    """The value under `keys` in nested dicts, or None where a key is missing."""
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def record_field(record: Record, keys: Sequence[str]) -> Any:
    """A field of a record by key path; `err.…` reads the normalised `err` (a string `err`
    becomes `{"message": …}`)."""
    if len(keys) > 1 and keys[0] == "err":
        return dig(record.err, keys[1:])
    return dig(record.data, keys)


def iso(time_ms: int | None) -> str | None:
    """Epoch milliseconds as `2026-11-23T10:00:00.123Z`."""
    if time_ms is None:
        return None
    try:
        moment = datetime.fromtimestamp(time_ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_payload(payload: Payload) -> Record | Unparsed:
    """Normalise one payload; never raises for bad input."""
    obj = payload.obj
    if obj is None:
        text = payload.text
        if payload.framing == JOURNAL_TOO_LONG:
            return Unparsed(payload.source, payload.line, JOURNAL_TOO_LONG_REASON, "")
        if not text.strip():
            return Unparsed(payload.source, payload.line, "empty line", "")
        if text.endswith(LINE_CUT_TEXT):  # the bounded reader cut it (bounded.py)
            return Unparsed(payload.source, payload.line, LINE_TOO_LONG, text[:300])
        if not text.lstrip().startswith(("{", "[")):
            return Unparsed(payload.source, payload.line, "not JSON", text)
        obj = loads(text)
        if obj is None:
            return Unparsed(payload.source, payload.line, _not_json_reason(text), text)
        if not isinstance(obj, dict):
            return Unparsed(payload.source, payload.line, "JSON that is not an object", text)
    if not ("msg" in obj or "level" in obj or "time" in obj or "t" in obj):
        return Unparsed(
            payload.source, payload.line, "JSON object that is not a log record", payload.text
        )
    return _record(obj, payload)


def _not_json_reason(text: str) -> str:
    """Why text that starts like JSON did not parse; orjson says when it is nested deeper
    than its limit of 1024 levels, which no logger writes."""
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc) or "recursion" in str(exc).lower():
            return "JSON nested deeper than 1024 levels"
    return "invalid or truncated JSON"


def _record(obj: dict[str, Any], payload: Payload) -> Record:
    raw = payload.text
    if _is_account_download(obj):
        obj = _restore_bindings(obj)
    err = obj.get("err")
    if not isinstance(err, dict):
        err = {"message": err} if isinstance(err, str) else None
    msg = obj.get("msg")
    if not isinstance(msg, str):
        msg = (_text(msg) if msg is not None else _text(err.get("message")) if err else "") or ""
    component = _text(obj.get("component"))
    first_component = _first_string_value(raw, "component") or component
    components = tuple(dict.fromkeys(c for c in (first_component, component) if c))
    last_cid = _text(obj.get("cid"))
    first_cid = _first_string_value(raw, "cid") or last_cid
    account = _text(obj.get("account")) or payload.account_hint
    tid = obj.get("tid")
    return Record(
        time_ms=_time_ms(obj, payload.time_hint),
        level=_level(obj.get("level")),
        msg=msg,
        account=account,
        component=first_component,
        components=components,
        cid=first_cid,
        conn_id=last_cid if last_cid != first_cid else None,
        tid=tid if isinstance(tid, int) and not isinstance(tid, bool) else None,
        err=err,
        data=obj,
        raw=raw,
        source=payload.source,
        line=payload.line,
    )


def _is_account_download(obj: dict[str, Any]) -> bool:
    """EmailEngine's per-account log (`logs.<account>.txt`): string level, `t`, no pid."""
    return (
        "t" in obj and "time" not in obj and "pid" not in obj and isinstance(obj.get("level"), str)
    )


def _restore_bindings(obj: dict[str, Any]) -> dict[str, Any]:
    """The download drops the logger bindings; every entry came from the account's connection
    logger, and entries with a sequence number `lo` from imapflow. Put them back so the
    catalog matches these lines exactly as it matches stdout."""
    restored = {"component": "connection-client", **obj}
    if "lo" in obj and "sub" not in obj:
        restored["sub"] = "imap-connection"
    return restored


def _first_string_value(raw: str, key: str) -> str | None:
    """The first `"key":"value"` in the raw text: the logger binding, which pino writes
    before the call's own keys. orjson keeps only the last duplicate."""
    match = _KEY_START[key].search(raw)
    if match is None:
        return None
    start = match.end()
    end = raw.find('"', start)
    if end < 0 or "\\" in raw[start:end]:
        return None
    return raw[start:end]


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, str):
        return value or None
    return str(value)


def _level(value: Any) -> int:
    """pino's number (10-60, custom levels up to a few hundred); anything else is info."""
    if isinstance(value, bool):
        return 30
    if isinstance(value, str):
        text = value.strip().lower()
        # isdecimal plus isascii: "¹" and "٣" pass isdigit but are not numbers int() reads
        number = text.isascii() and text.isdecimal() and len(text) < 6
        value = int(text) if number else _LEVEL_NUMBERS.get(text, 30)
    if isinstance(value, float) and value == value and abs(value) < 1e6:
        value = int(value)
    if isinstance(value, int) and 0 <= value <= 1000:
        return value
    return 30


# 1970 to 5138: anything else is a damaged or foreign field, not a log time
_PLAUSIBLE_MS = (0, 10**14)


def _time_ms(obj: dict[str, Any], hint: int | None) -> int | None:
    for key in ("time", "t", "timestamp"):
        value = obj.get(key)
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            if not 0 < value < 1e18:  # also NaN
                continue
            number = float(value)
            # seconds, milliseconds or microseconds since the epoch
            if number < 1e11:
                number *= 1000
            elif number > 1e14:
                number /= 1000
            if _PLAUSIBLE_MS[0] <= number < _PLAUSIBLE_MS[1]:
                return int(number)
            continue
        if isinstance(value, str):
            parsed = _parse_time_text(value)
            if parsed is not None and _PLAUSIBLE_MS[0] <= parsed < _PLAUSIBLE_MS[1]:
                return parsed
    if hint is not None and _PLAUSIBLE_MS[0] <= hint < _PLAUSIBLE_MS[1]:
        return hint  # the wrapper's time (journald, Docker) when the record has none
    return None


def _parse_time_text(text: str) -> int | None:
    text = text.strip()
    if text.isascii() and text.isdigit():
        return _time_ms({"time": int(text)}, None)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
