"""The CLI contract of interface.md: options, exit codes, output files, errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import REPO, analyze_json, eelogs_command, installed_eelogs, run

import eelogs
from eelogs import timespec
from eelogs.catalog import load_catalog

SAMPLE = str(REPO / "sample_logs/emailengine.log")


def test_readme_help_block_matches_the_code() -> None:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"<!-- help:analyze -->\n```text\n(.*?)```\n<!-- /help -->", readme, re.S)
    assert block, "README lost its `eelogs analyze --help` block"
    live = run(["analyze", "--help"], env={"COLUMNS": "100"}).stdout
    assert block.group(1) == live, "README is stale: paste `eelogs analyze --help` again"


def test_runs_from_anywhere_with_its_catalog(tmp_path: Path) -> None:
    result = run(["patterns", "list"], cwd=Path("/"))
    assert result.returncode == 0
    assert "oauth-invalid-grant" in result.stdout
    result = run(["analyze", "--format", "json", SAMPLE], cwd=Path("/"))
    assert json.loads(result.stdout)["findings"]


def test_output_expands_strftime_and_infers_the_format(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "%Y-%m-%d.json"
    result = run(["analyze", SAMPLE, "-o", str(target)])
    assert result.returncode == 0
    written = tmp_path / "reports" / f"{datetime.now():%Y-%m-%d}.json"
    assert json.loads(written.read_text())["input"]["records"] > 0
    assert sorted(p.name for p in written.parent.iterdir()) == [written.name]
    assert result.stdout == ""
    assert f"wrote {written}" in result.stderr


def test_a_killed_run_leaves_the_previous_report_intact(tmp_path: Path) -> None:
    report = tmp_path / "latest.json"
    report.write_text('{"previous": true}')
    slow = subprocess.Popen(
        [*eelogs_command(), "analyze", "-", "-o", str(report)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert slow.stdin is not None
    slow.stdin.write(Path(SAMPLE).read_bytes())
    slow.kill()
    slow.wait()
    assert report.read_text() == '{"previous": true}'


@pytest.mark.parametrize("target", ["/proc/eelogs/report.html", "{file}/sub/report.html"])
def test_unwritable_output_is_a_clean_error(tmp_path: Path, target: str) -> None:
    a_file = tmp_path / "plain"
    a_file.write_text("x")
    result = run(["analyze", SAMPLE, "-o", target.format(file=a_file)])
    assert result.returncode == 2
    assert result.stderr.startswith("Error: cannot write")
    assert "Hint:" in result.stderr and "Traceback" not in result.stderr


def test_fail_on_sets_exit_status_for_alerting() -> None:
    assert run(["analyze", SAMPLE, "--fail-on", "critical"]).returncode == 1
    healthy = str(REPO / "tests/corpus/healthy.log.gz")
    assert run(["analyze", healthy, "--fail-on", "info"]).returncode == 0


def test_summary_line_on_stderr() -> None:
    result = run(["analyze", SAMPLE, "--format", "json"])
    last = result.stderr.strip().splitlines()[-1]
    assert re.match(
        r"eelogs: \d+ records, 0 unparsed, \d+ open findings \(\d+ critical, .*\), "
        r"\d+ of \d+ accounts failing$",
        last,
    ), last


def test_time_window_with_human_forms() -> None:
    full = analyze_json(SAMPLE)
    morning = analyze_json(
        SAMPLE, "--since", "2026-11-23T08:00:00Z", "--until", "2026-11-23T12:00:00Z"
    )
    assert 0 < morning["input"]["records"] < full["input"]["records"]
    assert (
        morning["input"]["filtered_out"] == full["input"]["records"] - morning["input"]["records"]
    )
    assert morning["input"]["last"] < "2026-11-23T12:00:00"
    assert analyze_json(SAMPLE, "--until", "2026-11-23T08:00:00Z")["input"]["records"] == 0
    everything = analyze_json(SAMPLE, "--since", "-36500d", "--until", "+1d")
    assert everything["input"]["records"] == full["input"]["records"]


def test_account_filter_makes_a_ticket_report() -> None:
    report = analyze_json(SAMPLE, "--account", "sales-o365")
    assert [a["account"] for a in report["accounts"]] == ["sales-o365"]
    assert {f["pattern"] for f in report["findings"]} == {"oauth-invalid-grant", "connect-refused"}


def test_provider_filter_keeps_only_those_accounts() -> None:
    report = analyze_json(SAMPLE, "--provider", "outlook")
    assert report["accounts"] and {a["provider"] for a in report["accounts"]} == {"outlook"}
    assert all(set(f["providers"]) <= {"outlook"} for f in report["findings"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "/nonexistent/ee.log"], "Error: no such file or folder: /nonexistent/ee.log"),
        (
            ["analyze", SAMPLE, "--since", "last tuesday"],
            "Error: cannot read the time 'last tuesday'",
        ),
        (
            ["analyze", SAMPLE, "--since", "today", "--until", "yesterday"],
            "Error: --since today is not before --until yesterday",
        ),
        (["analyze", "/nonexistent/*.log"], "Error: no file matches '/nonexistent/*.log'"),
        (["analyze", SAMPLE, "--since", "6h"], "Error: the relative time '6h' has no sign"),
        (["analyze", SAMPLE, "--since", "-99999999999d"], "Error: the time '-99999999999d' is out"),
        (["analyze", SAMPLE, "--until", "99999999999999999"], "Error: the time '9999"),
        (["classify", SAMPLE, "--since", "2 days"], "Error: the relative time '2 days' has no"),
    ],
)
def test_user_errors_exit_2_with_a_hint(args: list[str], message: str) -> None:
    result = run(args)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == message or lines[0].startswith(message)
    assert lines[1].startswith("Hint: ")


def test_bad_option_is_a_usage_error() -> None:
    result = run(["analyze", "--format", "pdf"])
    assert result.returncode == 2
    assert "Invalid value for '--format'" in result.stderr


def test_closed_pipe_is_quiet_and_exits_141() -> None:
    proc = subprocess.run(
        [
            "bash",
            "-c",
            f"{' '.join(eelogs_command())} classify {SAMPLE} | head -1; "
            'echo "status=${PIPESTATUS[0]}" >&2',
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    assert "status=141" in proc.stderr  # the contract: 141 when the reader went away


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("2026-11-23T10:00:00Z", "2026-11-23T10:00:00+00:00"),
        ("2026-11-23T10:00:00+02:00", "2026-11-23T08:00:00+00:00"),
        ("1795428000", "2026-11-23T10:00:00+00:00"),
        ("1795428000000", "2026-11-23T10:00:00+00:00"),
        ("-6h", "2026-11-24T06:00:00+00:00"),
        ("-30m", "2026-11-24T11:30:00+00:00"),
        ("-7d", "2026-11-17T12:00:00+00:00"),
        ("now", "2026-11-24T12:00:00+00:00"),
        ("+6h", "2026-11-24T18:00:00+00:00"),
        ("6h ago", "2026-11-24T06:00:00+00:00"),
        ("0", "1970-01-01T00:00:00+00:00"),
        ("@0", "1970-01-01T00:00:00+00:00"),
        ("86400", "1970-01-02T00:00:00+00:00"),
        ("@20261124", "1970-08-23T12:05:24+00:00"),
        ("20261124T10:00Z", "2026-11-24T10:00:00+00:00"),
        ("1795428000.5", "2026-11-23T10:00:00.500000+00:00"),
    ],
)
def test_time_specs(spec: str, expected: str) -> None:
    now = datetime.fromisoformat("2026-11-24T12:00:00+00:00")
    assert timespec.resolve(spec, now).isoformat() == expected


def test_a_bare_eight_digit_number_is_an_iso_basic_date() -> None:
    """20261124 stays the date it always meant (ISO 8601 basic form), local midnight."""
    now = datetime.fromisoformat("2026-11-24T12:00:00+00:00")
    assert timespec.resolve("20261124", now) == datetime.fromisoformat("20261124").astimezone()


def test_a_hint_names_the_signed_form() -> None:
    result = run(["analyze", SAMPLE, "--since", "6h"])
    assert result.stderr.splitlines()[1] == "Hint: write -6h for 6h before now, or +6h for after it"


def test_eelogs_now_pins_the_clock_for_windows_and_output_names(tmp_path: Path) -> None:
    env = {"EELOGS_NOW": "2026-11-24T00:15:00Z", "TZ": "UTC"}
    out = tmp_path / "%Y-%m-%d.json"
    result = run(["analyze", SAMPLE, "--since", "yesterday", "-o", str(out)], env=env)
    assert result.returncode == 0, result.stderr
    written = json.loads((tmp_path / "2026-11-24.json").read_text())
    assert written["eelogs"]["window"]["since"] == "2026-11-23T00:00:00.000Z"
    bad = run(["analyze", SAMPLE, "--since", "-6h"], env={"EELOGS_NOW": "next tuesday"})
    assert bad.returncode == 2
    assert "Error: cannot read EELOGS_NOW='next tuesday'" in bad.stderr and "Hint:" in bad.stderr
    huge = run(["analyze", SAMPLE, "--since", "-6h"], env={"EELOGS_NOW": "99999999999999"})
    assert huge.returncode == 2 and "Traceback" not in huge.stderr
    assert "Error: cannot read EELOGS_NOW='99999999999999'" in huge.stderr


def test_the_suite_tests_the_source_tree() -> None:
    """An edit is tested without reinstalling: in-process imports and the CLI subprocesses
    both load this checkout, with its patterns/ and reports/ folders."""
    assert Path(eelogs.__file__).resolve() == REPO / "eelogs" / "__init__.py"
    probe = "import eelogs, eelogs.resources as r; print(eelogs.__file__, r.data_dir('reports'))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd="/", capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [str(REPO / "eelogs/__init__.py"), str(REPO / "reports")]


def test_the_installed_copy_carries_its_catalog_and_templates(tmp_path: Path) -> None:
    """The one test of what `pip install .` installed: its wheel's data (eelogs/_data)."""
    script = installed_eelogs()
    if script is None:
        pytest.skip("eelogs is not installed in this Python")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"NO_COLOR": "1"}
    probe = "import eelogs.resources as r; print(r.data_dir('patterns'), r.data_dir('reports'))"
    where = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert where.returncode == 0, where.stderr
    for folder in map(Path, where.stdout.split()):
        if not folder.is_relative_to(REPO):  # an editable install reads the checkout itself
            assert folder.parent.name == "_data", folder
    listed = subprocess.run(
        [script, "patterns", "list", "--format", "json"], cwd=tmp_path, env=env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert {p["id"] for p in json.loads(listed.stdout)} == {
        p.id for p in load_catalog().patterns
    }, "the installed eelogs is older than this checkout: run `pip install .` again"
    report = tmp_path / "r.html"
    made = subprocess.run(
        [script, "analyze", SAMPLE, "-o", str(report)], cwd=tmp_path, env=env, capture_output=True
    )
    assert made.returncode == 0 and report.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("name", ["r.pdf", "r.html.zip", "r.log"])
def test_an_unknown_output_suffix_is_an_error(tmp_path: Path, name: str) -> None:
    result = run(["analyze", SAMPLE, "-o", str(tmp_path / name)])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    error, hint = result.stderr.splitlines()[:2]
    assert error.startswith("Error: cannot tell the report format from the suffix")
    assert hint.startswith("Hint: end --output with .html, .htm, .md, .markdown, .json, .txt")
    assert "--format" in hint
    assert list(tmp_path.iterdir()) == []


def test_an_explicit_format_writes_any_name(tmp_path: Path) -> None:
    target = tmp_path / "r.pdf"
    assert run(["analyze", SAMPLE, "--format", "json", "-o", str(target)]).returncode == 0
    assert json.loads(target.read_text())["input"]["records"] > 0
    plain = tmp_path / "report"  # no suffix at all: text, as before
    assert run(["analyze", SAMPLE, "-o", str(plain)]).returncode == 0
    assert plain.read_text().startswith("eelogs · ")


def test_a_gz_output_is_the_inferred_format_compressed(tmp_path: Path) -> None:
    import gzip

    html, saved = tmp_path / "r.html.gz", tmp_path / "latest.json.gz"
    result = run(["analyze", SAMPLE, "-o", str(html), "--save-json", str(saved)])
    assert result.returncode == 0, result.stderr
    assert gzip.decompress(html.read_bytes()).startswith(b"<!DOCTYPE html>")
    assert json.loads(gzip.decompress(saved.read_bytes()))["input"]["records"] > 0
    again = analyze_json(SAMPLE, "--baseline", str(saved))  # a gzipped baseline reads back
    assert "new" not in {f["status"] for f in again["findings"]}


def test_window_codes_name_a_report_by_the_window_it_covers(tmp_path: Path) -> None:
    env = {"EELOGS_NOW": "2026-11-24T00:15:00Z", "TZ": "UTC"}
    out = tmp_path / "{since:%Y-%m-%d}.html"
    saved = tmp_path / "json" / "{since:%Y-%m-%d}_{until:%d}-run%H%M.json"
    window = ["--since", "yesterday", "--until", "today"]
    result = run(["analyze", SAMPLE, *window, "-o", str(out), "--save-json", str(saved)], env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "2026-11-23.html").exists()
    assert [p.name for p in (tmp_path / "json").iterdir()] == ["2026-11-23_24-run0015.json"]
    plain = run(["analyze", SAMPLE, *window, "-o", str(tmp_path / "%Y-%m-%d.md")], env=env)
    assert plain.returncode == 0 and (tmp_path / "2026-11-24.md").exists()  # as before


def test_a_window_code_without_that_edge_is_an_error(tmp_path: Path) -> None:
    result = run(["analyze", SAMPLE, "--until", "today", "-o", str(tmp_path / "{since}.json")])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "there is no --since" in result.stderr and "Hint: add --since TIME" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_lone_surrogate_escape_is_read_as_a_replacement_character(tmp_path: Path) -> None:
    # Node writes these when it cuts a string inside an emoji: never a traceback
    line = (
        '{"level":50,"time":1795428000000,"msg":"Failed to connect","account":"a\\ud83d",'
        '"err":{"code":"ECONNREFUSED","message":"connect ECONNREFUSED 10.0.0.1:993"}}\n'
    )
    log = tmp_path / "cut.log"
    log.write_text(line)
    for fmt in ("text", "md", "html", "json"):
        result = run(["analyze", str(log), "--format", fmt])
        assert result.returncode == 0, result.stderr
        assert "a\ufffd" in result.stdout or "a&#xfffd;" in result.stdout.lower()
    rows = run(["classify", str(log)])
    assert rows.returncode == 0 and json.loads(rows.stdout)["account"] == "a\ufffd"
