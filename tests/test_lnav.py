"""Issue 21: contrib/lnav-emailengine.json, tested with the real lnav (Debian's package).

lnav has no format for pino's JSON lines; with ours it must recognise EmailEngine's log, read
the time from `time` (epoch ms), map pino's numeric levels, and expose the useful fields as
columns of the `emailengine_log` table. Each test runs lnav with its own HOME, so nothing is
read from or written to the real user's lnav configuration.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

FORMAT = REPO / "contrib/lnav-emailengine.json"
SAMPLE = REPO / "sample_logs/emailengine.log"
PINO_LEVELS = {10: "trace", 20: "debug", 30: "info", 40: "warning", 50: "error", 60: "fatal"}


def _lnav() -> str:
    found = shutil.which("lnav")
    if found is None:
        pytest.skip("lnav is not installed (apt-get install lnav; .ci/run installs it)")
    return found


def _config(tmp_path: Path) -> Path:
    """A configuration folder for `lnav -I` holding only our format."""
    folder = tmp_path / "lnav-config"
    (folder / "formats/emailengine").mkdir(parents=True, exist_ok=True)
    shutil.copy(FORMAT, folder / "formats/emailengine/emailengine.json")
    return folder


def _run(tmp_path: Path, args: list[str], stdin: bytes | None = None) -> str:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "TZ": "UTC"}
    (tmp_path / "home").mkdir(exist_ok=True)
    done = subprocess.run(
        [_lnav(), *args], input=stdin, capture_output=True, env=env, timeout=120, check=False
    )
    out, err = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 0, err
    assert "error" not in err.lower() and "warning" not in err.lower(), err
    return out


def _query(tmp_path: Path, sql: str, log: Path) -> list[dict[str, Any]]:
    """Rows of an SQL query over `log`, as lnav writes them in JSON."""
    config = ["-I", str(_config(tmp_path))]
    out = _run(tmp_path, [*config, "-n", "-c", f";{sql}", "-c", ":write-json-to -", str(log)])
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


def _records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_the_format_loads_without_warnings(tmp_path: Path) -> None:
    # -W prints every problem lnav has with its configuration, ours included
    _run(tmp_path, ["-W", "-I", str(_config(tmp_path)), "-n", "-c", ";SELECT 1", str(SAMPLE)])


def test_lnav_recognises_every_sample_line_and_counts_its_levels(tmp_path: Path) -> None:
    formats = _query(tmp_path, "SELECT log_format, count(*) AS n FROM all_logs", SAMPLE)
    records = _records(SAMPLE)
    assert formats == [{"log_format": "emailengine_log", "n": len(records)}]
    rows = _query(
        tmp_path, "SELECT log_level, count(*) AS n FROM emailengine_log GROUP BY log_level", SAMPLE
    )
    expected = Counter(PINO_LEVELS[r["level"]] for r in records)
    assert {row["log_level"]: row["n"] for row in rows} == dict(expected)
    errors = _query(
        tmp_path, "SELECT count(*) AS n FROM emailengine_log WHERE log_level = 'error'", SAMPLE
    )
    assert errors == [{"n": sum(1 for r in records if r["level"] == 50)}]


def test_every_pino_level_time_and_field(tmp_path: Path) -> None:
    log = tmp_path / "levels.log"
    lines = [
        {"level": level, "time": 1795420800000 + level, "pid": 7, "hostname": "ee",
         "component": "imap", "account": f"acct-{level}", "msg": f"message at {level}",
         "err": {"code": f"E{level}", "message": f"failure {level}", "stack": "at x"}}
        for level in PINO_LEVELS
    ]  # fmt: skip
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    rows = _query(
        tmp_path,
        'SELECT log_time, log_level, log_body, account, component, "err/code", "err/message" '
        "FROM emailengine_log ORDER BY log_line",
        log,
    )
    assert rows == [
        {
            "log_time": f"2026-11-23 08:00:00.0{level}",  # epoch ms 1795420800000 + level
            "log_level": name,
            "log_body": f"message at {level}",
            "account": f"acct-{level}",
            "component": "imap",
            "err/code": f"E{level}",
            "err/message": f"failure {level}",
        }
        for level, name in PINO_LEVELS.items()
    ]


def test_a_line_reads_as_time_level_component_account_message(tmp_path: Path) -> None:
    out = _run(tmp_path, ["-I", str(_config(tmp_path)), "-n", str(SAMPLE)])
    first = out.splitlines()[0].split()
    assert first == ["2026-11-23T08:00:00.103", "INFO", "-", "-", "EmailEngine", "starting", "up"]
    failed = next(line for line in out.splitlines() if "Failed to authenticate" in line)
    assert failed.split()[1:4] == ["WARNING", "connection-client", "acme-support"]
    assert "  err/message: Command failed" in out  # err's useful parts under the line
    assert "at ImapFlow.reader" not in out  # the stack trace stays hidden


def test_installed_with_lnav_i_it_reads_a_piped_journal(tmp_path: Path) -> None:
    """The README's per-user install, then `journalctl -u emailengine -o cat | lnav`."""
    _run(tmp_path, ["-i", str(FORMAT)])
    assert (tmp_path / "home/.lnav/formats/installed/emailengine_log.json").exists()
    head = b"".join(SAMPLE.read_bytes().splitlines(keepends=True)[:50])
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "TZ": "UTC"}
    done = subprocess.run(
        [_lnav(), "-n", "-c", ";SELECT count(*) AS n FROM emailengine_log", "-c",
         ":write-json-to -"],
        input=head, capture_output=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"n": 50}]
