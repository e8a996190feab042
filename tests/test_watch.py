"""Issue 17: `eelogs watch` refuses a summary interval that is not positive, waits for a
file that does not exist yet, and prints dates with its times."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import pytest
from conftest import eelogs_command, run

PROBLEM = {
    "level": 40,
    "time": 1795428005000,  # 2026-11-23T10:00:05Z
    "pid": 7,
    "hostname": "ee",
    "component": "connection-client",
    "account": "alice",
    "msg": "Failed to authenticate",
    "err": {
        "message": "Command failed",
        "response": "3 NO [AUTHENTICATIONFAILED] Invalid credentials",
        "authenticationFailed": True,
    },
}


@pytest.mark.parametrize("seconds", ["0", "-1", "-0.5"])
def test_summary_every_must_be_positive(seconds: str, tmp_path: Path) -> None:
    log = tmp_path / "ee.log"
    log.write_text("")
    result = run(["watch", str(log), f"--summary-every={seconds}"], timeout=30)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: --summary-every must be more than 0 seconds")
    assert lines[1].startswith("Hint: ") and "Traceback" not in result.stderr


def test_text_lines_carry_the_date() -> None:
    result = run(["watch", "--format", "text"], stdin=json.dumps(PROBLEM) + "\n")
    assert result.returncode == 0, result.stderr
    state, finding = result.stdout.splitlines()[:2]
    assert state.startswith("2026-11-23 10:00:05Z  STATE    alice"), state
    assert finding.startswith("2026-11-23 10:00:05Z  HIGH"), finding
    assert "auth-invalid-credentials" in finding and "alice" in finding


class _Reader:
    """A stream's lines, read on a thread so the test can wait with a timeout."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(s) for s in stream], daemon=True).start()

    def wait_for(self, wanted: str, seconds: float) -> str | None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if wanted in line:
                return line
        return None


def test_watch_waits_for_a_file_that_does_not_exist_yet(tmp_path: Path) -> None:
    log = tmp_path / "ee.log"
    proc = subprocess.Popen(
        [*eelogs_command(), "watch", str(log), "--format", "json", "--summary-every", "3600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    out, err = _Reader(proc.stdout), _Reader(proc.stderr)
    try:
        assert err.wait_for(f"waiting for {log}", 30) is not None, "no word that it waits"
        assert proc.poll() is None, "watch gave up on a file that does not exist yet"
        log.write_text(json.dumps(PROBLEM) + "\n")  # EmailEngine starts: read from the start
        finding = out.wait_for('"type":"finding"', 30)
        assert finding is not None, "the file appeared but no finding was printed"
        row = json.loads(finding)
        assert (row["account"], row["pattern"]) == ("alice", "auth-invalid-credentials")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert err.wait_for("waiting for", 1) is None  # said once only
