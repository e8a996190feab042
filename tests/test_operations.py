"""Issue 8: nightly runs that neither miss nor repeat, live watch, contrib units."""

from __future__ import annotations

import json
import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import REPO, eelogs_command, run

SAMPLE = (REPO / "sample_logs/emailengine.log").read_text().splitlines()
INSTALLED = "/usr/local/bin/eelogs"  # where the README's install steps put eelogs


def _lines(start: int, count: int) -> str:
    """Distinct healthy records numbered by their time, so each one is recognisable."""
    return "".join(
        json.dumps(
            {
                "level": 30,
                "time": 1795420800000 + n * 1000,
                "pid": 7,
                "hostname": "ee",
                "msg": f"record {n}",
            }
        )
        + "\n"
        for n in range(start, start + count)
    )


def _night(log_dir: Path, state: Path) -> dict[str, object]:
    result = run(["analyze", "--format", "json", "--state", str(state), str(log_dir / "ee.log")])
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout)["input"]
    return report


def test_consecutive_nights_read_every_record_exactly_once(tmp_path: Path) -> None:
    log, state = tmp_path / "ee.log", tmp_path / "state.json"
    log.write_text(_lines(0, 1000))
    first = _night(tmp_path, state)
    assert first["records"] == 1000
    with open(log, "a") as handle:  # the day goes on, then logrotate moves the file away
        handle.write(_lines(1000, 300))
    log.rename(tmp_path / "ee.log.1")
    log.write_text(_lines(1300, 200))
    second = _night(tmp_path, state)
    assert second["records"] == 500
    assert second["first"] == "2026-11-23T08:16:40.000Z"  # record 1000, the first unread
    assert second["last"] == "2026-11-23T08:24:59.000Z"  # record 1499
    assert _night(tmp_path, state)["records"] == 0  # nothing new, nothing repeated


def test_half_written_line_waits_for_the_next_run(tmp_path: Path) -> None:
    log, state = tmp_path / "ee.log", tmp_path / "state.json"
    whole = _lines(0, 3)
    log.write_text(_lines(0, 2) + whole.splitlines()[2][:30])
    assert _night(tmp_path, state)["records"] == 2
    with open(log, "a") as handle:
        handle.write(whole.splitlines()[2][30:] + "\n")
    assert _night(tmp_path, state)["records"] == 1


def test_truncated_file_is_read_again_from_its_start(tmp_path: Path) -> None:
    log, state = tmp_path / "ee.log", tmp_path / "state.json"
    log.write_text(_lines(0, 100))
    assert _night(tmp_path, state)["records"] == 100
    log.write_text(_lines(500, 10))  # copytruncate-style rotation
    assert _night(tmp_path, state)["records"] == 10


def test_failed_run_does_not_advance_the_state(tmp_path: Path) -> None:
    log, state = tmp_path / "ee.log", tmp_path / "state.json"
    log.write_text(_lines(0, 50))
    failed = run(["analyze", "--state", str(state), str(log), "-o", "/proc/nope/report.json"])
    assert failed.returncode == 2 and not state.exists()
    assert _night(tmp_path, state)["records"] == 50


def test_journal_cursor_is_remembered(tmp_path: Path) -> None:
    journalctl = shutil.which("journalctl")
    remote = Path("/lib/systemd/systemd-journal-remote")
    if not journalctl or not remote.exists():
        pytest.skip("needs journalctl and systemd-journal-remote")
    export = tmp_path / "x.export"
    export.write_text(
        "".join(
            f"__REALTIME_TIMESTAMP={1795420800000000 + n * 1000}\n__MONOTONIC_TIMESTAMP={n + 1}\n"
            f"_BOOT_ID=9f1e0c3b2a4d4e5f8a7b6c5d4e3f2a1b\n_SYSTEMD_UNIT=emailengine.service\n"
            f"MESSAGE={line}\n\n"
            for n, line in enumerate(SAMPLE[:200])
        )
    )
    journal = tmp_path / "x.journal"
    subprocess.run(
        [str(remote), f"--output={journal}", str(export)], check=True, capture_output=True
    )
    wrapper = tmp_path / "bin" / "journalctl"
    wrapper.parent.mkdir()
    wrapper.write_text(
        f'#!/bin/sh\necho "$@" >> {tmp_path}/args\nexec {journalctl} --file={journal} "$@"\n'
    )
    wrapper.chmod(0o755)
    env = {"PATH": f"{wrapper.parent}:{os.environ['PATH']}"}
    state = tmp_path / "state.json"
    args = ["analyze", "--journal", "emailengine", "--state", str(state), "--format", "json"]
    first = run(args, env=env)
    assert json.loads(first.stdout)["input"]["records"] == 200
    saved = json.loads(state.read_text())["journal"]["journal:emailengine"]
    assert saved.startswith("s=")
    second = run(args, env=env)
    assert json.loads(second.stdout)["input"]["records"] == 0
    assert f"--after-cursor {saved}" in (tmp_path / "args").read_text().splitlines()[-1]


class _Lines:
    """Read a process's stdout line by line with a timeout."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        stream = proc.stdout
        threading.Thread(
            target=lambda: [self.queue.put(line) for line in stream], daemon=True
        ).start()

    def next(self, timeout: float) -> str | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self, seconds: float) -> list[str]:
        end, out = time.monotonic() + seconds, []
        while (line := self.next(max(0.0, end - time.monotonic()))) is not None:
            out.append(line)
        return out


def _problem_lines(account: str) -> str:
    base = {
        "level": 40,
        "pid": 7,
        "hostname": "ee",
        "tid": 3,
        "component": "connection-client",
        "account": account,
        "cid": "1p9x2c7v4b6n8m0l3k5j",
    }
    return (
        json.dumps(
            {
                **base,
                "time": int(time.time() * 1000),
                "msg": "Failed to authenticate",
                "err": {
                    "message": "Command failed",
                    "response": "3 NO [AUTHENTICATIONFAILED] Invalid credentials",
                    "authenticationFailed": True,
                },
            }
        )
        + "\n"
    )


def test_watch_prints_each_new_finding_within_two_seconds_once(tmp_path: Path) -> None:
    log = tmp_path / "ee.log"
    log.write_text(_lines(0, 100))
    proc = subprocess.Popen(
        [*eelogs_command(), "watch", str(log), "--format", "json", "--summary-every", "3600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out = _Lines(proc)
    try:
        time.sleep(1.0)
        for account in ("alice", "bob"):
            with open(log, "a") as handle:
                handle.write(_problem_lines(account))
            written = time.monotonic()
            seen = None
            while seen is None and time.monotonic() - written < 2.0:
                line = out.next(2.0 - (time.monotonic() - written))
                if line and json.loads(line)["type"] == "finding":
                    seen = json.loads(line)
            assert seen is not None, f"no finding for {account} within 2 s"
            assert (seen["account"], seen["pattern"]) == (account, "auth-invalid-credentials")
        with open(log, "a") as handle:  # the same problems again: nothing new to say
            handle.write(_problem_lines("alice") + _problem_lines("bob"))
        later = [json.loads(line) for line in out.drain(1.5)]
        assert [r for r in later if r["type"] == "finding"] == []
        log.rename(tmp_path / "ee.log.1")  # rotation: the new file is followed too
        log.write_text(_problem_lines("carol"))
        rotated = [json.loads(line) for line in out.drain(2.0)]
        assert [r["account"] for r in rotated if r["type"] == "finding"] == ["carol"]
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert proc.stderr is not None and "Traceback" not in proc.stderr.read()


def test_watch_reads_stdin_to_its_end() -> None:
    result = run(["watch", "--format", "json"], stdin="\n".join(SAMPLE) + "\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    findings = [(r["account"], r["pattern"]) for r in rows if r["type"] == "finding"]
    assert len(findings) == len(set(findings)) > 30
    assert rows[-1]["type"] == "summary" and rows[-1]["records"] == len(SAMPLE)


UNITS = ("eelogs-nightly.service", "eelogs-nightly.timer", "eelogs-watch.service")
ALERT = "eelogs-alert@.service"


def test_contrib_units_are_valid(tmp_path: Path) -> None:
    analyzer = shutil.which("systemd-analyze")
    if analyzer is None:
        pytest.skip("systemd-analyze is not installed")
    for name in (*UNITS, ALERT):  # any executable stands in for the installed eelogs
        text = (REPO / "contrib" / name).read_text().replace(INSTALLED, sys.executable)
        (tmp_path / name).write_text(text)
    for name in (*UNITS, ALERT):
        result = subprocess.run(
            [analyzer, "verify", str(tmp_path / name)], capture_output=True, text=True, check=False
        )
        problems = [
            line
            for line in result.stderr.splitlines()
            if "eelogs" in line and "/var/lib" not in line
        ]
        assert problems == [], result.stderr


def test_the_nightly_failure_alert_is_shipped_and_mails_the_status(tmp_path: Path) -> None:
    """OnFailure= names a unit that contrib/ ships, and that unit's command really writes the
    failed unit's status to its output and mails it."""
    nightly = (REPO / "contrib/eelogs-nightly.service").read_text()
    assert "OnFailure=eelogs-alert@%n.service" in nightly.splitlines()
    unit = (REPO / "contrib" / ALERT).read_text().splitlines()
    command = next(line for line in unit if line.startswith("ExecStart="))[len("ExecStart=") :]
    specifiers = {"%%": "\0", "%i": "eelogs-nightly.service", "%H": "ee-host", "\0": "%"}
    for specifier, value in specifiers.items():  # systemd's expansions, in its order
        command = command.replace(specifier, value)
    argv = shlex.split(command.replace("$$", "$"))
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "systemctl").write_text('#!/bin/sh\necho "status of $*"\n')
    (fake / "mail").write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/mail\ncat >> {tmp_path}/mail\n')
    for tool in fake.iterdir():
        tool.chmod(0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "EELOGS_ALERT_TO": "ops@example.com"}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    status = "status of status --full --no-pager --lines=30 eelogs-nightly.service"
    assert done.stdout == status + "\n"
    assert (tmp_path / "mail").read_text().splitlines() == [
        "-s eelogs: eelogs-nightly.service failed on ee-host ops@example.com",
        status,
    ]


def test_cron_file_line_runs_as_written(tmp_path: Path) -> None:
    """contrib/cron.d-eelogs is an /etc/cron.d file: minute hour day month weekday USER
    command. Its nightly line, run as cron would, names the report after the day it covers."""
    line = next(
        line
        for line in (REPO / "contrib/cron.d-eelogs").read_text().splitlines()
        if line.startswith("15 0 * * *")
    )
    fields = line.split(None, 6)
    assert fields[5] == "eelogs"  # the user field of /etc/cron.d
    command = fields[6].split(" >/dev/null")[0].replace("\\%", "%")
    words = shlex.split(command)
    assert words[:2] == [INSTALLED, "analyze"]  # the binary the README installs
    args = [w.replace("/var/lib/eelogs", str(tmp_path)) for w in words[1:]]
    fake = tmp_path / "bin" / "journalctl"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ncat {REPO / 'sample_logs/emailengine.log'}\n")
    fake.chmod(0o755)
    # cron runs it at 00:15 the day after the sample's first day: pin that moment, so the
    # test holds on any date and in any time zone
    env = {"PATH": f"{fake.parent}:{os.environ['PATH']}", "EELOGS_NOW": "2026-11-24T00:15:00"}
    result = run(args, env={**env, "TZ": "UTC"})
    assert result.returncode == 1, result.stderr  # the sample has high problems: cron mails
    assert [p.name for p in (tmp_path / "reports").glob("*.html")] == ["2026-11-23.html"]
    assert (tmp_path / "latest.json").exists()
    window = json.loads((tmp_path / "latest.json").read_text())["eelogs"]["window"]
    assert window == {"since": "2026-11-23T00:00:00.000Z", "until": "2026-11-24T00:00:00.000Z"}
