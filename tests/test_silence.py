"""Issue 17, item 4: an input that says nothing must not look like a healthy night.

Lines but no EmailEngine record, an --account no record names, or a failing reader are
errors (exit 2); no lines at all is a warning (exit 0), on stderr and in every format."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from conftest import FRAMINGS, REPO, run
from markdown_check import shown_text

SAMPLE = str(REPO / "sample_logs/emailengine.log")
FORMATS = ("text", "md", "html", "json")


def _fake_program(folder: Path, name: str, script: str) -> dict[str, str]:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}


def _warned_everywhere(
    args: list[str], warning: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> dict[str, str]:
    """Run in every format: exit 0, the warning on stderr, in the report and in JSON."""
    out = {}
    for fmt in FORMATS:
        result = run(["analyze", *args, "--format", fmt], stdin=stdin, env=env)
        assert result.returncode == 0, result.stderr
        assert f"Warning: {warning}" in result.stderr, result.stderr
        out[fmt] = result.stdout
    warnings = json.loads(out["json"])["input"]["warnings"]
    assert any(w.startswith(warning) for w in warnings), warnings
    escaped = warning.replace("<", "&lt;").replace(">", "&gt;")
    assert warning in out["text"]
    assert warning in shown_text(out["md"]) and escaped in out["html"]
    return out


def _error(
    args: list[str], stdin: str | None = None, env: dict[str, str] | None = None
) -> tuple[str, str]:
    """Run; exit 2, nothing on stdout, `Error:` and `Hint:` on stderr (returned)."""
    result = run(["analyze", *args], stdin=stdin, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    first, hint = result.stderr.splitlines()[:2]
    assert first.startswith("Error: ") and hint.startswith("Hint: ")
    return first, hint


def test_empty_stdin_is_a_warning_not_health() -> None:
    reports = _warned_everywhere(["-"], "no log lines were read from <stdin>", stdin="")
    assert "No known problems found" not in reports["text"]
    assert "No EmailEngine record to analyze." in reports["text"]
    assert json.loads(reports["json"])["input"]["lines"] == 0


def test_lines_without_any_emailengine_record_are_an_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("Starting the mail server\nall good\n")
    first, hint = _error([str(text)])
    assert first == (
        f"Error: no EmailEngine record in {text}: 2 lines read, "
        "none of them EmailEngine's pino JSON"
    )
    assert f"line 1 of {text} (not JSON): 'Starting the mail server'" in hint
    assert "-o cat" in hint
    first, _ = _error(["-"], stdin='{"hello": "world"}\n')
    assert "1 line read, and it is not EmailEngine's pino JSON" in first


def test_an_empty_folder_says_it_held_no_log_files(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / ".hidden").write_text("x\n")
    _warned_everywhere([str(folder)], f"the folder {folder} held no log files")


def test_a_journal_unit_without_lines_in_the_window_warns_with_the_unit_hint(
    tmp_path: Path,
) -> None:
    # the unit has entries (the probe without a window, -n 1, finds one), none this window
    entry = '{"MESSAGE":"x","__CURSOR":"s=1","_SYSTEMD_UNIT":"emailengine.service"}'
    script = f'case " $* " in *" -n 1 "*) echo \'{entry}\';; esac\nexit 0\n'
    env = _fake_program(tmp_path, "journalctl", script)
    reports = _warned_everywhere(
        ["--journal", "emailengine", "--since", "2026-11-23", "--until", "2026-11-24"],
        "no log lines were read from journal:emailengine; check the unit name",
        env=env,
    )
    assert "No known problems found" not in reports["html"]


def test_a_journal_unit_with_no_entry_at_all_is_an_error(tmp_path: Path) -> None:
    env = _fake_program(tmp_path, "journalctl", "exit 0\n")
    result = run(["analyze", "--journal", "no-such-unit"], env=env)
    assert result.returncode == 2
    assert "Error: the journal has no entries at all for unit no-such-unit" in result.stderr
    assert "Hint:" in result.stderr and "Traceback" not in result.stderr


def test_a_quiet_night_with_state_is_a_warning(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = run(["analyze", SAMPLE, "--state", str(state), "--format", "json"])
    assert first.returncode == 0 and json.loads(first.stdout)["input"]["warnings"] == []
    again = run(["analyze", SAMPLE, "--state", str(state), "--format", "json"])
    assert again.returncode == 0, again.stderr
    assert f"no log lines were read from {SAMPLE} since the last run (--state)" in again.stderr


def test_an_account_typo_names_the_closest_accounts() -> None:
    for log in (SAMPLE, str(FRAMINGS / "docker-ts.log")):  # the fast and the per-line path
        first, hint = _error([log, "--account", "sales-o356"])
        assert first == "Error: --account sales-o356 matches no record in the input"
        assert hint == "Hint: did you mean sales-o365?"
    first, hint = _error([SAMPLE, "--account", "sales-o365", "--account", "Sales-Gmial"])
    assert first == "Error: --account Sales-Gmial matches no record in the input"
    assert hint == "Hint: did you mean sales-gmail?"
    # a real account outside the time window is no typo: a warning
    quiet = run([
        "analyze", SAMPLE, "--account", "sales-o365", "--since", "2026-12-01", "--format", "json"
    ])  # fmt: skip
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["input"]["warnings"] == [
        "none of the 4,997 records read is inside the time window (--since/--until) "
        "for --account sales-o365"
    ]


def test_two_account_typos_are_named_together() -> None:
    first, hint = _error([SAMPLE, "--account", "sales-o356", "--account", "zzzzzzzzzzzz"])
    assert first == "Error: no record in the input names --account sales-o356, zzzzzzzzzzzz"
    assert hint == "Hint: sales-o356: did you mean sales-o365?"


def _journal_json(message: str | None) -> str:
    return json.dumps(
        {"__CURSOR": "s=1", "__REALTIME_TIMESTAMP": "1795420800000000", "MESSAGE": message}
    )


def test_journal_json_without_all_is_named_on_stderr_and_in_every_format() -> None:
    good = Path(SAMPLE).read_text().splitlines()[0]
    stream = f"{_journal_json(good)}\n{_journal_json(None)}\n"
    _warned_everywhere(
        ["-"],
        "journalctl -o json left out 1 message over 4096 bytes (printed as null): "
        "run journalctl with --all, or -o cat",
        stdin=stream,
    )
    _, hint = _error(["-"], stdin=f"{_journal_json(None)}\n")
    assert "--all" in hint


def test_docker_logs_of_a_missing_container_is_an_error(tmp_path: Path) -> None:
    env = _fake_program(
        tmp_path,
        "docker",
        "echo 'Error response from daemon: No such container: ee-typo' >&2\nexit 1\n",
    )
    first, hint = _error(["--docker", "ee-typo"], env=env)
    assert "`docker logs --timestamps ee-typo` exited with status 1" in first
    assert "No such container: ee-typo" in first
    assert "docker ps -a" in hint


def test_a_damaged_archive_is_named_and_the_rest_is_analysed(tmp_path: Path) -> None:
    import gzip

    folder = tmp_path / "logs"
    folder.mkdir()
    text = (REPO / "sample_logs/emailengine.log").read_bytes()
    whole = gzip.compress(text)
    (folder / "cut.log.gz").write_bytes(whole[: len(whole) // 2])  # half-written archive
    (folder / "tail.log.gz").write_bytes(gzip.compress(text[:20000]) + b"garbage after it")
    (folder / "good.log").write_bytes(text)
    result = run(["analyze", str(folder), "--format", "json"])
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Interrupted" not in result.stderr
    report = json.loads(result.stdout)
    damaged = [w for w in report["input"]["warnings"] if "what came before the damage" in w]
    assert {w.split(":")[0].rsplit("/", 1)[-1] for w in damaged} == {"cut.log.gz", "tail.log.gz"}
    assert report["input"]["records"] > len(text.splitlines())  # good.log and readable parts
    assert all(f"Warning: {w}" in result.stderr for w in damaged)
    text_report = run(["analyze", str(folder / "cut.log.gz")]).stdout
    assert "cut.log.gz: it ends before its compressed data does" in text_report


def test_only_unreadable_archives_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.log.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00not a deflate stream at all")
    result = run(["analyze", str(bad)])
    assert result.returncode == 2
    assert result.stderr.startswith("Error: nothing was readable:") and "Hint:" in result.stderr
