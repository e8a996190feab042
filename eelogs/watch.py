"""`eelogs watch`: follow a log as it grows and say each new problem once.

One line per new finding (account, pattern, severity, remedy) and per account state change
into or out of trouble; a one-line summary every so often; JSON Lines with --format json.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any

import orjson

from eelogs.bounded import LineSplitter
from eelogs.catalog import Catalog
from eelogs.collect import Collector
from eelogs.errors import EelogsError
from eelogs.framing import deframe
from eelogs.match import Classifier
from eelogs.parse import Record, iso, parse_payload
from eelogs.redact import redact_text
from eelogs.safetext import json_safe, visible
from eelogs.states import ERROR_STATES
from eelogs.writer import write_text

POLL_SECONDS = 0.2
_ALERT = frozenset({"authenticationError", "connectError", "unset"})


class Follower:
    """Lines of a growing file, surviving rotation (a new file under the name) and
    truncation; `on_idle` is called while nothing new arrives."""

    def __init__(self, path: Path, from_start: bool) -> None:
        self.path = path
        self.handle: IO[bytes] = open(path, "rb")  # noqa: SIM115 - held while following
        if not from_start:
            self.handle.seek(0, os.SEEK_END)

    def lines(self, on_idle: Callable[[], None]) -> Iterator[str]:
        splitter = LineSplitter()  # bounded: a line without end is not held whole
        while True:
            chunk = self.handle.read(65536)
            if chunk:
                for raw in splitter.feed(chunk):
                    yield raw.decode("utf-8", "replace").rstrip("\r")
                continue
            if self._reopen_if_rotated():
                continue
            on_idle()
            time.sleep(POLL_SECONDS)

    def _reopen_if_rotated(self) -> bool:
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            return False  # between rotation steps: keep reading the old file
        mine = os.fstat(self.handle.fileno())
        if current.st_ino != mine.st_ino:
            self.handle.close()
            self.handle = open(self.path, "rb")  # noqa: SIM115
            return True
        if current.st_size < self.handle.tell():  # truncated in place
            self.handle.seek(0)
            return True
        return False


def open_follower(path: Path, from_start: bool, on_idle: Callable[[], None]) -> Follower:
    """Follow `path`, waiting for it first if it does not exist yet (like `tail -F`): a
    watch started before EmailEngine wrote its first line must not give up. A file that
    appears while we wait is read from its start."""
    waited = False
    while True:
        try:
            return Follower(path, from_start or waited)
        except FileNotFoundError:
            if not waited:
                print(f"eelogs: waiting for {path} to appear", file=sys.stderr, flush=True)
                waited = True
            on_idle()
            time.sleep(POLL_SECONDS)
        except OSError as exc:
            raise EelogsError(
                f"cannot read {path}: {exc.strerror}", "check the path and its permissions"
            ) from exc


def stdin_lines(on_idle: Callable[[], None]) -> Iterator[str]:
    """Lines of stdin (e.g. `journalctl -f -o cat`), with idle ticks while it is quiet."""
    fd = sys.stdin.fileno()
    splitter = LineSplitter()  # bounded: a line without end is not held whole
    while True:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            on_idle()
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            if rest := splitter.rest():
                yield rest.decode("utf-8", "replace").rstrip("\r\n")
            return
        for raw in splitter.feed(chunk):
            yield raw.decode("utf-8", "replace").rstrip("\r")


class Watcher:
    def __init__(self, catalog: Catalog, as_json: bool, summary_every: float, out: IO[str]) -> None:
        self.classifier = Classifier(catalog)
        self.as_json = as_json
        self.summary_every = summary_every
        self.out = out
        self.seen: set[tuple[str, str]] = set()
        # the accounts' states and providers, decided as `analyze` decides them
        self.collector = Collector()
        self.reported: dict[str, str] = {}
        self.records = 0
        self.findings = 0
        self.last_summary = time.monotonic()

    def run(self, lines: Iterator[str], name: str) -> None:
        for payload in deframe(lines, name):
            entry = parse_payload(payload)
            if isinstance(entry, Record):
                self.observe(entry)
            self.tick()

    def observe(self, record: Record) -> None:
        self.records += 1
        account = record.account or ""
        found = self.classifier.classify(record)
        self.collector.add(record, found)
        if account:
            self._state(record, account)
        if found is None or (account, found.pattern.id) in self.seen:
            return
        self.seen.add((account, found.pattern.id))
        self.findings += 1
        pattern = found.pattern
        self.emit(
            {
                "type": "finding",
                "time": record.time_iso,
                "severity": pattern.severity,
                "pattern": pattern.id,
                "account": record.account,
                "provider": self._provider(account),
                "title": pattern.title,
                "action": pattern.action,
            },
            f"{_when(record.time_iso)}  {pattern.severity.upper():<8} {pattern.id}  "
            f"{self._who(account)}: {pattern.action}",
        )

    def _state(self, record: Record, account: str) -> None:
        after = self.collector.accounts[account].state
        # say it once per change of health: a retry loop moves through `connecting` again
        # and again, and a plain `disconnected` is usually a reconnect a second later
        before = self.reported.get(account, "connected")
        if after == before or not (after in _ALERT or (before in _ALERT and after == "connected")):
            return
        self.reported[account] = after
        self.emit(
            {
                "type": "state",
                "time": record.time_iso,
                "account": account,
                "provider": self._provider(account),
                "from": before,
                "to": after,
            },
            f"{_when(record.time_iso)}  STATE    {self._who(account)}: {before} → {after}",
        )

    def _provider(self, account: str) -> str | None:
        track = self.collector.accounts.get(account)
        return track.provider if track else None

    def _who(self, account: str) -> str:
        if not account:
            return "EmailEngine"
        provider = self._provider(account)
        return f"{account} ({provider})" if provider else account

    def tick(self) -> None:
        if time.monotonic() - self.last_summary >= self.summary_every:
            self.summary()

    def summary(self) -> None:
        self.last_summary = time.monotonic()
        failing = sum(t.state in ERROR_STATES for t in self.collector.accounts.values())
        self.emit(
            {
                "type": "summary",
                "records": self.records,
                "findings": self.findings,
                "failing_accounts": failing,
            },
            f"-- watch: {self.records} records, {self.findings} new findings, "
            f"{failing} accounts failing",
        )

    def emit(self, row: dict[str, Any], text: str) -> None:
        line = redact_text(orjson.dumps(row).decode() if self.as_json else text)
        # the text goes to a terminal: a log line's escapes are shown, never acted on
        write_text(self.out, (json_safe(line) if self.as_json else visible(line)) + "\n", True)


def _when(time_iso: str | None) -> str:
    """`2026-11-23 10:00:05Z`: with the date, since a watch runs for days and a log that is
    read from its start can be older than today."""
    moment = time_iso or iso(int(time.time() * 1000)) or ""
    return f"{moment[:10]} {moment[11:19]}Z"


def stop_on_sigterm() -> None:
    """SIGTERM (systemd stop, docker stop) ends the watch like Ctrl-C does."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
