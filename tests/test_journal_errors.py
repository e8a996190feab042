"""Issue 17: when `--journal` cannot read the journal, the error names the real cause."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, run

_ENTRY = json.dumps(
    {
        "__CURSOR": "s=1;i=1",
        "__REALTIME_TIMESTAMP": "1795420800000000",
        "MESSAGE": json.dumps({"level": 30, "time": 1795420800000, "msg": "hello"}),
    }
)


def _journalctl(folder: Path, script: str) -> dict[str, str]:
    """A fake journalctl on PATH that logs its arguments to folder/calls."""
    program = folder / "bin" / "journalctl"
    program.parent.mkdir(exist_ok=True)
    program.write_text(f'#!/bin/sh\necho "$@" >> {folder}/calls\n{script}')
    program.chmod(0o755)
    return {"PATH": f"{program.parent}:{os.environ['PATH']}"}


def _error(args: list[str], env: dict[str, str]) -> tuple[str, str]:
    result = run(["analyze", *args], env=env)
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: ") and lines[1].startswith("Hint: "), result.stderr
    return lines[0], lines[1]


def test_journalctl_not_installed(tmp_path: Path) -> None:
    error, hint = _error(["--journal", "emailengine"], {"PATH": str(tmp_path)})
    assert error.startswith("Error: cannot run `journalctl -u emailengine -o json --all")
    assert "not installed" in error
    assert "install" in hint and "-o cat" in hint and "unit name" not in hint


def test_journal_not_readable_by_this_user(tmp_path: Path) -> None:
    env = _journalctl(
        tmp_path,
        "echo 'No journal files were opened due to insufficient permissions.' >&2\nexit 1\n",
    )
    error, hint = _error(["--journal", "emailengine"], env)
    assert "exited with status 1: No journal files were opened due to insufficient" in error
    assert "systemd-journal group" in hint and "sudo" in hint


def test_journal_of_other_users_hidden_is_not_an_empty_log(tmp_path: Path) -> None:
    """Outside the group, journalctl succeeds with the user's own entries and a notice."""
    env = _journalctl(
        tmp_path,
        "echo 'Hint: You are currently not seeing messages from other users and the system.' >&2\n"
        "echo \"      Users in groups 'adm', 'systemd-journal' can see all messages.\" >&2\n",
    )
    error, hint = _error(["--journal", "emailengine"], env)
    assert "may not read the system journal" in error and "not seeing messages" in error
    assert "systemd-journal group" in hint


def test_journalctl_own_error_is_shown_by_its_first_line(tmp_path: Path) -> None:
    env = _journalctl(
        tmp_path,
        "echo \"Failed to add match 'bad=unit': Invalid argument\" >&2\n"
        "echo 'a second line of detail' >&2\nexit 1\n",
    )
    error, _ = _error(["--journal", "bad=unit"], env)
    assert "exited with status 1: Failed to add match 'bad=unit': Invalid argument" in error
    assert "second line" not in error


def test_unit_without_any_entry_is_an_error_not_a_healthy_report(tmp_path: Path) -> None:
    env = _journalctl(tmp_path, "exit 0\n")
    error, hint = _error(["--journal", "no-such-unit"], env)
    assert error == "Error: the journal has no entries at all for unit no-such-unit"
    assert "systemctl list-units --all 'no-such-unit*'" in hint


def test_an_empty_window_of_a_unit_that_has_entries_is_no_journal_error(tmp_path: Path) -> None:
    """Nothing in the window is an answer, not a broken source: journalctl is asked once
    more, without the window, whether the unit has any entry at all."""
    env = _journalctl(tmp_path, f"case \"$*\" in *--since*) exit 0;; esac\necho '{_ENTRY}'\n")
    result = run(["analyze", "--journal", "emailengine", "--since", "2026-11-24"], env=env)
    assert "no entries at all" not in result.stderr and "Traceback" not in result.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[-1] == "-u emailengine -o json --all --no-pager -n 1"


def test_real_journalctl_on_a_unit_that_never_logged(tmp_path: Path) -> None:
    journalctl, remote = shutil.which("journalctl"), Path("/lib/systemd/systemd-journal-remote")
    if not journalctl or not remote.exists():
        pytest.skip("needs journalctl and systemd-journal-remote")
    line = (REPO / "sample_logs/emailengine.log").read_text().splitlines()[0]
    export = tmp_path / "x.export"
    export.write_text(
        "__REALTIME_TIMESTAMP=1795420800000000\n__MONOTONIC_TIMESTAMP=1\n"
        "_BOOT_ID=9f1e0c3b2a4d4e5f8a7b6c5d4e3f2a1b\n_SYSTEMD_UNIT=emailengine.service\n"
        f"MESSAGE={line}\n\n"
    )
    journal = tmp_path / "x.journal"
    subprocess.run(
        [str(remote), f"--output={journal}", str(export)], check=True, capture_output=True
    )
    env = _journalctl(tmp_path, f'exec {journalctl} --file={journal} "$@"\n')
    error, _ = _error(["--journal", "emailengin"], env)
    assert error == "Error: the journal has no entries at all for unit emailengin"
    found = run(["analyze", "--format", "json", "--journal", "emailengine"], env=env)
    assert found.returncode == 0 and json.loads(found.stdout)["input"]["records"] == 1
