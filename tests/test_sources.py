"""Issue 2: every way EmailEngine's logs arrive gives the same records, accounts and counts."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, FRAMINGS, SAMPLES, analyze_json, classify_rows, run

FRAMED = [
    "framings/journal-short.log",
    "framings/journal-short-iso.log",
    "framings/docker-ts.log",
    "framings/compose.log",
    "framings/docker-json.log.gz",
    "framings/journal.json.zst",
]


def _shape(rows: list[dict[str, Any]]) -> tuple[int, set[str], Counter[str], int]:
    records = [r for r in rows if not r.get("unparsed")]
    return (
        len(records),
        {r["account"] for r in records if r["account"]},
        Counter(r["msg"] for r in records),
        len(rows) - len(records),
    )


@pytest.fixture(scope="module")
def reference() -> tuple[int, set[str], Counter[str], int]:
    return _shape(classify_rows(str(SAMPLES / "emailengine.log")))


@pytest.mark.parametrize("name", FRAMED)
def test_every_framing_reads_as_the_raw_log(name: str, reference: Any) -> None:
    records, accounts, messages, unparsed = _shape(classify_rows(str(SAMPLES / name)))
    assert unparsed == 0
    assert records == reference[0]
    assert accounts == reference[1]
    assert messages == reference[2]


@pytest.mark.parametrize("name", FRAMED)
def test_analyze_reports_the_same_input_for_every_framing(name: str) -> None:
    raw = analyze_json(str(SAMPLES / "emailengine.log"))
    framed = analyze_json(str(SAMPLES / name))
    for key in ("records", "unparsed", "levels", "first", "last"):
        assert framed["input"][key] == raw["input"][key], key
    assert [a["account"] for a in framed["accounts"]] == [a["account"] for a in raw["accounts"]]
    assert [(f["pattern"], f["count"]) for f in framed["findings"]] == [
        (f["pattern"], f["count"]) for f in raw["findings"]
    ]


def test_docker_json_file_really_splits_a_long_line_and_eelogs_joins_it() -> None:
    with gzip.open(FRAMINGS / "docker-json.log.gz", "rt", encoding="utf-8") as handle:
        pieces = [json.loads(line)["log"] for line in handle]
    assert any(not piece.endswith("\n") for piece in pieces), "fixture lost its partial lines"
    assert max(len(p) for p in pieces) == 16384
    long_lines = [
        line for line in (SAMPLES / "emailengine.log").read_text().splitlines() if len(line) > 16384
    ]
    assert long_lines
    rows = classify_rows(str(FRAMINGS / "docker-json.log.gz"))
    assert any(r["pattern"] == "tls-hostname-mismatch" for r in rows)


def test_stdin_is_read_like_a_file(sample_log: Path) -> None:
    from_file = analyze_json(str(sample_log))
    from_stdin = analyze_json(stdin=sample_log.read_bytes())
    assert from_stdin["input"]["records"] == from_file["input"]["records"]
    assert from_stdin["input"]["sources"] == ["<stdin>"]


def test_compressed_stdin_is_detected_by_its_magic_bytes() -> None:
    data = (FRAMINGS / "journal.json.zst").read_bytes()
    assert (
        analyze_json("-", stdin=data)["input"]["records"]
        == analyze_json(str(SAMPLES / "emailengine.log"))["input"]["records"]
    )


def test_folders_and_globs_expand_in_a_stable_order(tmp_path: Path) -> None:
    for name in ("b.log", "a.log"):
        shutil.copy(SAMPLES / "emailengine.log", tmp_path / name)
    (tmp_path / ".hidden.log").write_text("{not a log}\n")
    by_dir = analyze_json(str(tmp_path))
    assert by_dir["input"]["sources"] == [str(tmp_path / "a.log"), str(tmp_path / "b.log")]
    assert by_dir["input"]["unparsed"] == 0
    by_glob = analyze_json(str(tmp_path / "*.log"))
    assert by_glob["input"]["records"] == by_dir["input"]["records"]


def test_per_account_download_is_read_with_its_account_from_the_file_name() -> None:
    report = analyze_json(str(FRAMINGS / "logs.billing.txt"))
    assert [a["account"] for a in report["accounts"]] == ["billing"]
    raw = _bound_messages(SAMPLES / "emailengine.log", "billing")
    rows = classify_rows(str(FRAMINGS / "logs.billing.txt"))
    assert Counter(r["msg"] for r in rows) == Counter(msg for _, msg in raw)
    expected = json.loads((FIXTURES / "sample_expected.json").read_text())
    # every line classifies exactly as the same line of the full log
    assert [r["pattern"] for r in rows] == [expected.get(str(n)) for n, _ in raw]
    assert {r["pattern"] for r in rows} >= {"connect-refused", "tls-cert-expired"}


def _bound_messages(path: Path, account: str) -> list[tuple[int, str]]:
    """(line, msg) of the lines EmailEngine copies into an account's own log."""
    found = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        pairs = json.loads(line, object_pairs_hook=lambda p: p)
        first = {}
        for key, value in pairs:
            first.setdefault(key, value)
        if first.get("component") == "connection-client" and first.get("account") == account:
            msg = dict(pairs).get("msg") or dict(pairs)["err"]["message"]
            found.append((n, msg[:200]))
    return found


def test_pretty_printed_records_pasted_into_a_ticket(tmp_path: Path, sample_log: Path) -> None:
    lines = sample_log.read_text().splitlines()[40:46]
    parts = ["Here is what the log says:"]
    for line in lines:
        parts.append(json.dumps(json.loads(line), indent=2))
    path = tmp_path / "ticket.txt"
    path.write_text("\n".join(parts) + "\n")
    report = analyze_json(str(path))
    assert report["input"]["records"] == len(lines)
    assert report["input"]["unparsed"] == 1


def test_bad_lines_are_counted_and_never_fatal(tmp_path: Path, sample_log: Path) -> None:
    good = sample_log.read_text().splitlines()[:50]
    bad = [
        b"==========================================================",
        b'Failed to establish connection to Redis using "redis://127.0.0.1:6379/8"',
        b"TypeError: Cannot read properties of undefined (reading 'path')",
        b"    at Mailbox.onExists (/emailengine/lib/email-client/imap/mailbox.js:902:41)",
        b'{"level":50,"time":1795420800000,"msg":"Failed to conn',
        b"\xff\xfe\x00 invalid \xc3\x28 utf-8 \x80",
        b"[1, 2, 3]",
        b"",
    ]
    mixed = bytearray()
    for n, line in enumerate(good):
        mixed += line.encode() + b"\n"
        if n < len(bad):
            mixed += bad[n] + b"\r\n"
    (tmp_path / "mixed.log").write_bytes(bytes(mixed))
    (tmp_path / "empty.log").write_bytes(b"")
    result = run(["analyze", "--format", "json", str(tmp_path)])
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["input"]["records"] == len(good)
    assert report["input"]["unparsed"] == len(bad)
    reasons = {s["reason"] for s in report["input"]["unparsed_samples"]}
    assert {
        "not JSON",
        "invalid or truncated JSON",
        "JSON that is not an object",
        "empty line",
    } <= reasons
    first_bad = report["input"]["unparsed_samples"][0]
    assert first_bad["line"] == 2 and first_bad["source"].endswith("mixed.log")


def _journal_available() -> bool:
    return bool(shutil.which("journalctl")) and Path("/lib/systemd/systemd-journal-remote").exists()


@pytest.fixture(scope="module")
def journal_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real journal file holding the sample log, built by systemd-journal-remote."""
    if not _journal_available():
        pytest.skip(
            "needs journalctl and systemd-journal-remote (Debian: "
            "apt-get install systemd-journal-remote)"
        )
    folder = tmp_path_factory.mktemp("journal")
    entries = []
    for n, line in enumerate((SAMPLES / "emailengine.log").read_text().splitlines()):
        time_us = json.loads(line)["time"] * 1000
        entries.append(
            f"__REALTIME_TIMESTAMP={time_us}\n__MONOTONIC_TIMESTAMP={n + 1}\n"
            "_BOOT_ID=9f1e0c3b2a4d4e5f8a7b6c5d4e3f2a1b\n"
            "_SYSTEMD_UNIT=emailengine.service\nSYSLOG_IDENTIFIER=emailengine\n"
            f"_PID=2114\n_HOSTNAME=ee-prod-01\nPRIORITY=6\nMESSAGE={line}\n"
        )
    export = folder / "sample.export"
    export.write_text("\n".join(entries) + "\n")
    journal = folder / "sample.journal"
    subprocess.run(
        ["/lib/systemd/systemd-journal-remote", f"--output={journal}", str(export)],
        check=True,
        capture_output=True,
    )
    return journal


@pytest.mark.parametrize("output", ["json", "cat", "short", "short-iso"])
def test_real_journalctl_output_of_a_real_journal(
    journal_file: Path, output: str, reference: Any
) -> None:
    dump = subprocess.run(
        [
            "journalctl",
            f"--file={journal_file}",
            "-u",
            "emailengine",
            "-o",
            output,
            "--all",
            "--no-pager",
        ],
        check=True,
        capture_output=True,
    ).stdout
    rows = classify_rows("-", stdin=dump)
    records, accounts, messages, unparsed = _shape(rows)
    assert (records, accounts, messages, unparsed) == (reference[0], reference[1], reference[2], 0)


def _fake_program(folder: Path, name: str, script: str) -> dict[str, str]:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}


def test_journal_json_without_all_says_what_was_lost(journal_file: Path) -> None:
    """journalctl -o json nulls fields over 4096 bytes unless --all: counted, with the fix."""
    dump = subprocess.run(
        ["journalctl", f"--file={journal_file}", "-o", "json", "--no-pager"],
        check=True,
        capture_output=True,
    ).stdout
    report = analyze_json("-", stdin=dump)
    long_lines = sum(
        len(line) > 4096 for line in (SAMPLES / "emailengine.log").read_text().splitlines()
    )
    assert report["input"]["unparsed"] == long_lines > 0
    assert {s["reason"] for s in report["input"]["unparsed_samples"]} == {
        "journalctl left out a message over 4096 bytes: run journalctl with --all"
    }


def test_journal_option_spawns_journalctl_with_the_window(
    journal_file: Path, tmp_path: Path, reference: Any
) -> None:
    real = shutil.which("journalctl")
    args_file = tmp_path / "args"
    env = _fake_program(
        tmp_path, "journalctl", f'echo "$@" > {args_file}\nexec {real} --file={journal_file} "$@"\n'
    )
    report = analyze_json("--journal", "emailengine", env=env)
    assert report["input"]["records"] == reference[0]
    assert args_file.read_text().split()[:6] == [
        "-u",
        "emailengine",
        "-o",
        "json",
        "--all",
        "--no-pager",
    ]
    analyze_json(
        "--journal",
        "emailengine",
        "--since",
        "2026-11-23T10:00:00Z",
        "--until",
        "2026-11-23T12:00:00Z",
        env=env,
    )
    assert "--since @1795428000 --until @1795435200" in args_file.read_text()


def test_missing_journalctl_is_a_clean_error(tmp_path: Path) -> None:
    result = run(["analyze", "--journal", "emailengine"], env={"PATH": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.startswith("Error: cannot run `journalctl -u emailengine -o json --all")
    assert "Hint:" in result.stderr and "Traceback" not in result.stderr


def test_docker_option_reads_recorded_docker_logs(tmp_path: Path, reference: Any) -> None:
    recorded = FRAMINGS / "docker-ts.log"
    env = _fake_program(
        tmp_path, "docker", f'[ "$1 $2" = "logs --timestamps" ] || exit 9\ncat {recorded}\n'
    )
    report = analyze_json("--docker", "emailengine-emailengine-1", env=env)
    assert report["input"]["records"] == reference[0]
    assert report["input"]["sources"] == ["docker:emailengine-emailengine-1"]


def test_failing_docker_is_an_error_not_a_partial_report(tmp_path: Path) -> None:
    env = _fake_program(
        tmp_path,
        "docker",
        f"head -n 20 {FRAMINGS / 'docker-ts.log'}\n"
        "echo 'Error response from daemon: No such container: ee' >&2\nexit 1\n",
    )
    result = run(["analyze", "--docker", "ee"], env=env)
    assert result.returncode == 2
    assert "`docker logs --timestamps ee` exited with status 1" in result.stderr
    assert "No such container" in result.stderr
    assert "Hint:" in result.stderr
    assert result.stdout == ""


def test_a_folder_skips_files_that_are_not_text_logs(tmp_path: Path) -> None:
    """A log folder also holds screenshots and core dumps: they are skipped and counted,
    not read as thousands of unparsed lines; .gz and .zst logs are still read."""
    sample = (SAMPLES / "emailengine.log").read_text().splitlines(keepends=True)
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "ee.log").write_text("".join(sample[:100]))
    (folder / "ee.log.1.gz").write_bytes(gzip.compress("".join(sample[100:250]).encode()))
    shutil.copy(FRAMINGS / "journal.json.zst", folder / "journal.json.zst")
    (folder / "screenshot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    (folder / "core").write_bytes(b"text\0more\n" * 100)
    (folder / "ticket.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")  # no NUL
    (folder / "blob").write_bytes(bytes(range(256)) * 16)  # no known signature
    damaged = "".join(sample[250:260]).encode() + b"\x00\xff crash\n"  # a log with a NUL
    (folder / "ee.log.2").write_bytes(damaged + "".join(sample[260:300]).encode())
    zst_records = analyze_json(str(FRAMINGS / "journal.json.zst"))["input"]["records"]
    for spec in (str(folder), str(folder / "*")):
        result = run(["analyze", "--format", "json", spec])
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)["input"]
        assert (report["records"], report["unparsed"]) == (300 + zst_records, 1)
        assert report["skipped_files"] == 4
        read = ("ee.log", "ee.log.1.gz", "ee.log.2", "journal.json.zst")
        # read oldest first (test_rotated_logs_are_read_oldest_first_whatever_their_names)
        assert sorted(report["sources"]) == [str(folder / name) for name in read]
        said = f"eelogs: skipped 4 file(s) that are not text logs: {folder / 'blob'} and 3 more"
        assert said in result.stderr
    alone = analyze_json(str(folder / "ee.log"))["input"]  # nothing skipped: the key is there
    assert alone["skipped_files"] == 0


def _pino(t: int, msg: str, level: int = 30, **extra: Any) -> str:
    record = {"level": level, "time": t, "component": "connection-client", "account": "acme",
              "msg": msg, **extra}  # fmt: skip
    return json.dumps(record, separators=(",", ":")) + "\n"


def test_rotated_logs_are_read_oldest_first_whatever_their_names(tmp_path: Path) -> None:
    """`ee.log.10.gz` sorts before `ee.log.2.gz` by name, and both before `ee.log`; read in
    that order, last week's failed login would be the account's state today. Files are
    read in the order of their first record's time (ties in the order given)."""
    day = 86_400_000
    t0 = 1_795_420_800_000
    login = "Successful login without a previous active session"
    up = _pino(t0, login)
    failing = _pino(t0 + day, "Failed to authenticate", 50, err={"message": "Invalid credentials"})
    again = _pino(t0 + 2 * day, login)
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "ee.log").write_text(again)
    (folder / "ee.log.2.gz").write_bytes(gzip.compress(failing.encode()))
    (folder / "ee.log.10.gz").write_bytes(gzip.compress(up.encode()))
    report = analyze_json(str(folder))
    (acme,) = report["accounts"]
    assert acme["state"] == "connected"
    rows = classify_rows(str(folder))
    assert [r["source"].rsplit("/", 1)[-1] for r in rows] == ["ee.log.10.gz", "ee.log.2.gz",
                                                               "ee.log"]  # fmt: skip
    assert [r["state"] for r in rows] == ["connected", "authenticationError", "connected"]
    # named on the command line in the wrong order: read oldest first as well
    named = [str(folder / n) for n in ("ee.log", "ee.log.10.gz", "ee.log.2.gz")]
    assert analyze_json(*named)["accounts"][0]["state"] == "connected"
