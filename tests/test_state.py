"""Issue 17: --state knows a file by identity, combines a journal cursor with --since, and
keeps one cursor per unit; --journal and --docker are repeatable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run

T0_MS = 1795420800000  # 2026-11-23T08:00:00Z


def _line(n: int, time_ms: int | None = None) -> str:
    """One healthy pino record, recognisable by its number."""
    return json.dumps(
        {
            "level": 30,
            "time": time_ms if time_ms is not None else T0_MS + n * 1000,
            "pid": 7,
            "hostname": "ee",
            "msg": f"record {n}",
        }
    )


def _lines(start: int, count: int) -> str:
    return "".join(_line(n) + "\n" for n in range(start, start + count))


def _input(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Any:
    result = run(["analyze", "--format", "json", *args], cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["input"]


# --- A: one file, whatever name it is given ---------------------------------------------


def test_a_file_read_by_one_name_is_not_read_again_by_another(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    log, state = logs / "ee.log", tmp_path / "state.json"
    (tmp_path / "alias").symlink_to(logs)
    log.write_text(_lines(0, 50))
    assert _input(["--state", str(state), str(log)])["records"] == 50
    assert _input(["--state", str(state), "ee.log"], cwd=logs)["records"] == 0
    assert _input(["--state", str(state), str(tmp_path / "alias/ee.log")])["records"] == 0
    with open(log, "a") as handle:
        handle.write(_lines(50, 7))
    again = _input(["--state", str(state), "ee.log"], cwd=logs)
    assert (again["records"], again["first"]) == (7, "2026-11-23T08:00:50.000Z")


def test_one_file_given_twice_in_one_run_is_read_once(tmp_path: Path) -> None:
    log, state = tmp_path / "ee.log", tmp_path / "state.json"
    (tmp_path / "alias").symlink_to(tmp_path)
    log.write_text(_lines(0, 20))
    both = _input(["--state", str(state), str(log), str(tmp_path / "alias/ee.log")])
    assert both["records"] == 20


def test_rotation_is_found_when_the_name_changed_between_runs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    log, state = logs / "ee.log", tmp_path / "state.json"
    (tmp_path / "alias").symlink_to(logs)
    log.write_text(_lines(0, 30))
    assert _input(["--state", str(state), str(tmp_path / "alias/ee.log")])["records"] == 30
    with open(log, "a") as handle:
        handle.write(_lines(30, 5))
    log.rename(logs / "ee.log.1")
    log.write_text(_lines(35, 5))
    second = _input(["--state", str(state), "ee.log"], cwd=logs)
    assert (second["records"], second["first"]) == (10, "2026-11-23T08:00:30.000Z")
    # a glob that also names the rotated file does not read its end twice
    assert _input(["--state", str(state), str(logs / "ee.log*")])["records"] == 0


def test_a_rewritten_file_that_outgrew_the_old_offset_is_read_from_its_start(
    tmp_path: Path,
) -> None:
    """Same inode, new content (copytruncate, or an inode the system reused): the saved
    offset belongs to another file, and skipping to it would lose the new file's start."""
    log, state = tmp_path / "ee.log", tmp_path / "state.json"
    log.write_text(_lines(0, 10))
    assert _input(["--state", str(state), str(log)])["records"] == 10
    with open(log, "r+") as handle:  # rewritten in place: the inode stays
        handle.truncate(0)
        handle.write(_lines(100, 40))
    assert _input(["--state", str(state), str(log)])["records"] == 40


def test_a_state_file_of_the_previous_version_is_migrated(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    log, state = logs / "ee.log", tmp_path / "state.json"
    log.write_text(_lines(0, 30))
    read = len(_lines(0, 20).encode())
    old = {"inode": log.stat().st_ino, "offset": read, "line": 20, "size": read}
    # version 1 keyed files by the path as typed: here relative to the cron job's folder
    state.write_text(json.dumps({"version": 1, "files": {"ee.log": old}, "journal": {}}))
    first = _input(["--state", str(state), str(log)], cwd=logs)
    assert (first["records"], first["first"]) == (10, "2026-11-23T08:00:20.000Z")
    saved = json.loads(state.read_text())
    assert saved["version"] == 2
    assert [m["path"] for m in saved["files"].values()] == [str(log.resolve())]
    assert _input(["--state", str(state), "ee.log"], cwd=logs)["records"] == 0


def test_marks_of_files_that_are_gone_are_dropped(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    for name in ("a.log", "b.log"):
        (tmp_path / name).write_text(_lines(0, 3))
    _input(["--state", str(state), str(tmp_path / "a.log"), str(tmp_path / "b.log")])
    (tmp_path / "a.log").unlink()
    _input(["--state", str(state), str(tmp_path / "b.log")])
    paths = [m["path"] for m in json.loads(state.read_text())["files"].values()]
    assert paths == [str((tmp_path / "b.log").resolve())]


# --- B and D: journald cursors, per unit, with --since ----------------------------------

_FAKE_JOURNALCTL = """#!{python}
# A journalctl that keeps its entries in a JSON file and refuses what the real one refuses.
import json, sys
args = sys.argv[1:]
with open({log!r}, "a") as handle:
    handle.write(" ".join(args) + "\\n")
def value(name):
    return args[args.index(name) + 1] if name in args else None
if value("--since") and value("--after-cursor"):
    print("Please specify only one of --since=, --cursor=, and --after-cursor=.", file=sys.stderr)
    sys.exit(1)
entries = json.load(open({entries!r}))
units = [args[i + 1] for i, a in enumerate(args) if a == "-u"]
picked = [e for e in entries if not units or e["unit"] in units]
if value("--since"):
    picked = [e for e in picked if e["us"] >= int(value("--since").lstrip("@")) * 10**6]
if value("--after-cursor"):
    done = [e["cursor"] for e in picked].index(value("--after-cursor"))
    picked = picked[done + 1:]
if value("-n"):
    picked = picked[-int(value("-n")):]
for e in picked:
    print(json.dumps({{"__CURSOR": e["cursor"], "__REALTIME_TIMESTAMP": str(e["us"]),
                      "_SYSTEMD_UNIT": e["unit"] + ".service", "MESSAGE": e["message"]}}))
"""


class FakeJournal:
    """A fake `journalctl` on PATH, its entries, and the arguments of every call."""

    def __init__(self, folder: Path) -> None:
        self.entries: list[dict[str, Any]] = []
        self.store, self.calls = folder / "entries.json", folder / "calls"
        program = folder / "bin" / "journalctl"
        program.parent.mkdir()
        program.write_text(
            _FAKE_JOURNALCTL.format(
                python=sys.executable, log=str(self.calls), entries=str(self.store)
            )
        )
        program.chmod(0o755)
        self.env = {"PATH": f"{program.parent}:{os.environ['PATH']}"}
        self.add("emailengine", [])

    def add(self, unit: str, numbers: list[int], at_ms: dict[int, int] | None = None) -> None:
        for n in numbers:
            time_ms = (at_ms or {}).get(n, T0_MS + n * 1000)
            self.entries.append(
                {
                    "unit": unit,
                    "cursor": f"s=fake;i={len(self.entries) + 1:x}",
                    "us": time_ms * 1000,
                    "message": _line(n, time_ms),
                }
            )
        self.store.write_text(json.dumps(self.entries))

    def last_calls(self, count: int) -> list[str]:
        return self.calls.read_text().splitlines()[-count:]


def test_state_with_since_passes_the_cursor_and_filters_by_since_itself(tmp_path: Path) -> None:
    journal = FakeJournal(tmp_path)
    journal.add("emailengine", [1, 2, 3])
    state = tmp_path / "state.json"

    def night(since: str) -> Any:
        args = ["--journal", "emailengine", "--state", str(state), "--since", since]
        return _input(args, env=journal.env)

    assert night("2026-11-23T08:00:00Z")["records"] == 3
    assert "--since @1795420800" in journal.last_calls(1)[0]
    # two entries before the next --since, one after: the later of cursor and --since wins
    journal.add("emailengine", [4, 5, 100])
    later = night("2026-11-23T08:00:50Z")
    assert (later["records"], later["first"]) == (1, "2026-11-23T08:01:40.000Z")
    call = journal.last_calls(1)[0]
    assert "--after-cursor s=fake;i=3" in call and "--since" not in call
    assert night("2026-11-23T08:00:00Z")["records"] == 0  # an earlier --since: the cursor wins


def test_each_journal_unit_is_read_and_keeps_its_own_cursor(tmp_path: Path) -> None:
    journal = FakeJournal(tmp_path)
    journal.add("emailengine", [1, 2, 3])
    journal.add("emailengine-worker", [10, 11])
    state = tmp_path / "state.json"
    args = ["--journal", "emailengine", "--journal", "emailengine-worker", "--state", str(state)]
    first = _input(args, env=journal.env)
    assert first["records"] == 5
    assert first["sources"] == ["journal:emailengine", "journal:emailengine-worker"]
    cursors = json.loads(state.read_text())["journal"]
    assert cursors == {
        "journal:emailengine": "s=fake;i=3",
        "journal:emailengine-worker": "s=fake;i=5",
    }
    journal.add("emailengine-worker", [12])
    second = _input(args, env=journal.env)
    assert (second["records"], second["first"]) == (1, "2026-11-23T08:00:12.000Z")
    calls = journal.last_calls(2)
    assert "-u emailengine " in calls[0] and "--after-cursor s=fake;i=3" in calls[0]
    assert "-u emailengine-worker " in calls[1] and "--after-cursor s=fake;i=5" in calls[1]


def test_docker_is_repeatable(tmp_path: Path) -> None:
    program = tmp_path / "docker"
    one, two = tmp_path / "one.log", tmp_path / "two.log"
    one.write_text(_lines(0, 4))
    two.write_text(_lines(10, 6))
    program.write_text(f'#!/bin/sh\ncat "{tmp_path}/$3.log"\n')
    program.chmod(0o755)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}"}
    both = _input(["--docker", "one", "--docker", "two"], env=env)
    assert (both["records"], both["sources"]) == (10, ["docker:one", "docker:two"])


# --- the same with the real journalctl on a real journal file ---------------------------


@pytest.fixture(scope="module")
def two_unit_journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    journalctl, remote = shutil.which("journalctl"), Path("/lib/systemd/systemd-journal-remote")
    if not journalctl or not remote.exists():
        pytest.skip("needs journalctl and systemd-journal-remote")
    folder = tmp_path_factory.mktemp("journal")
    sample = (REPO / "sample_logs/emailengine.log").read_text().splitlines()[:200]
    export = folder / "x.export"
    export.write_text(
        "".join(
            f"__REALTIME_TIMESTAMP={json.loads(line)['time'] * 1000 + n}\n"
            f"__MONOTONIC_TIMESTAMP={n + 1}\n_BOOT_ID=9f1e0c3b2a4d4e5f8a7b6c5d4e3f2a1b\n"
            f"_SYSTEMD_UNIT={'emailengine' if n % 4 else 'ee-worker'}.service\n"
            f"MESSAGE={line}\n\n"
            for n, line in enumerate(sample)
        )
    )
    journal = folder / "x.journal"
    subprocess.run(
        [str(remote), f"--output={journal}", str(export)], check=True, capture_output=True
    )
    wrapper = folder / "bin" / "journalctl"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec {journalctl} --file={journal} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper.parent


def test_real_journalctl_state_since_and_two_units(two_unit_journal: Path, tmp_path: Path) -> None:
    env = {"PATH": f"{two_unit_journal}:{os.environ['PATH']}"}
    state = tmp_path / "state.json"
    args = ["--journal", "emailengine", "--journal", "ee-worker", "--state", str(state)]
    args += ["--since", "2026-11-01"]
    first = _input(args, env=env)
    assert first["records"] == 200
    assert set(json.loads(state.read_text())["journal"]) == {
        "journal:emailengine",
        "journal:ee-worker",
    }
    second = run(["analyze", "--format", "json", *args], env=env)
    assert second.returncode == 0, second.stderr  # journalctl got no --since beside the cursor
    assert json.loads(second.stdout)["input"]["records"] == 0
