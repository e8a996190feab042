"""Wrap sample lines the way journald, Docker and EmailEngine's log download deliver them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

Pair = tuple[str, int]  # (pino line, epoch ms)
DOCKER_PIECE = 16384  # Docker's json-file driver splits log lines at 16 KiB


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def journal_short_lines(pairs: list[Pair], host: str) -> Iterator[str]:
    for line, ms in pairs:
        yield f"{_utc(ms):%b %d %H:%M:%S} {host} emailengine[2114]: {line}"


def journal_short_iso_lines(pairs: list[Pair], host: str) -> Iterator[str]:
    for line, ms in pairs:
        yield f"{_utc(ms):%Y-%m-%dT%H:%M:%S}+00:00 {host} emailengine[2114]: {line}"


def _docker_time(ms: int) -> str:
    return f"{_utc(ms):%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}512345Z"


def docker_ts_lines(pairs: list[Pair]) -> Iterator[str]:
    for line, ms in pairs:
        yield f"{_docker_time(ms)} {line}"


def compose_lines(pairs: list[Pair]) -> Iterator[str]:
    for line, ms in pairs:
        yield f"emailengine-1  | {line}"


def docker_json_lines(pairs: list[Pair]) -> Iterator[str]:
    for line, ms in pairs:
        text = line + "\n"
        pieces = [text[i:i + DOCKER_PIECE] for i in range(0, len(text), DOCKER_PIECE)]
        for piece in pieces:
            yield json.dumps({"log": piece, "stream": "stdout", "time": _docker_time(ms)},
                             separators=(",", ":"), ensure_ascii=False)


def journal_json_lines(pairs: list[Pair], host: str) -> Iterator[str]:
    for n, (line, ms) in enumerate(pairs, 1):
        message: Any = line
        if n % 97 == 0:  # journald hands out some messages as byte arrays
            message = list(line.encode("utf-8"))
        entry = {"__CURSOR": f"s=5e0c;i={n:x};b=9f1e;m={n:x};t={ms * 1000:x};x=1",
                 "__REALTIME_TIMESTAMP": str(ms * 1000), "__MONOTONIC_TIMESTAMP": str(n * 1000),
                 "_BOOT_ID": "9f1e0c3b2a4d4e5f8a7b6c5d4e3f2a1b", "PRIORITY": "6",
                 "_HOSTNAME": host, "SYSLOG_FACILITY": "3", "SYSLOG_IDENTIFIER": "emailengine",
                 "_PID": "2114", "_SYSTEMD_UNIT": "emailengine.service", "MESSAGE": message}
        yield json.dumps(entry, separators=(",", ":"), ensure_ascii=False)


_LEVELS = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
_BASE = {"level", "time", "pid", "hostname", "tid"}


class _Pairs(list):  # type: ignore[type-arg]
    """A JSON object as its key/value pairs, so duplicate keys survive."""


def _plain(value: Any) -> Any:
    if isinstance(value, _Pairs):
        return {k: _plain(v) for k, v in value}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def per_account_lines(lines: list[str], account: str) -> Iterator[str]:
    """EmailEngine's `logs.<account>.txt`: string level, `t`, no bindings (research doc 7.1)."""
    counters: dict[str, int] = {}
    for line in lines:
        top = json.loads(line, object_pairs_hook=_Pairs)
        pairs: list[tuple[str, Any]] = [(k, _plain(v)) for k, v in top]
        keys = [k for k, _ in pairs]
        values = dict(pairs)
        if "component" not in keys or pairs[keys.index("component")][1] != "connection-client":
            continue
        if pairs[keys.index("account")][1] != account:
            continue
        bindings = {"component": 1, "account": 1, "cid": 1}
        body: list[tuple[str, Any]] = []
        for key, value in pairs:
            if key in _BASE:
                continue
            if bindings.get(key):
                bindings[key] = 0
                continue
            body.append((key, value))
        imapflow = values.get("sub") == "imap-connection"
        body = [(k, v) for k, v in body if k not in ("sub", "channel")]
        cid = str(values["cid"]) if imapflow else pairs[keys.index("cid")][1]
        head: list[tuple[str, Any]] = [("level", _LEVELS[values["level"]]), ("t", values["time"])]
        if imapflow:
            counters[cid] = counters.get(cid, 0) + 1
            head += [("cid", cid), ("lo", counters[cid])]
            body = [(k, v) for k, v in body if k != "cid"]
        else:
            head.append(("cid", cid))
        out = []
        for key, value in head + body:
            if key == "err" and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k not in ("type", "cert")}
            out.append(f"{json.dumps(key)}:{json.dumps(value, separators=(',', ':'))}")
        yield "{" + ",".join(out) + "}"
