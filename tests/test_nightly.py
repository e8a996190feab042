"""Issue 21, nightly jobs: --fail-on-new alerts once per new problem, and --history keeps a
bounded summary per night from which each finding's trend is drawn (JSON, text, HTML)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run
from nights import BOB_EVENTS, CAROL_EVENTS, job_env, nightly_args, write_nights

from eelogs.filters import spark, trend_text

SAMPLE = str(REPO / "sample_logs/emailengine.log")
NIGHTS = ["2026-11-24T00:00:00.000Z", "2026-11-25T00:00:00.000Z", "2026-11-26T00:00:00.000Z"]
OURS = [
    "eelogs-night-20261124T000000.000Z.json",
    "eelogs-night-20261125T000000.000Z.json",
    "eelogs-night-20261126T000000.000Z.json",
]


@pytest.fixture(scope="module")
def three_nights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The nightly job run on three consecutive mornings, as contrib/ installs it."""
    folder = tmp_path_factory.mktemp("nights")
    log = write_nights(folder)
    history = folder / "history"
    results = []
    for night in (1, 2, 3):
        args = nightly_args(log, folder, "--fail-on-new", "high", "--history", str(history))
        result = run([*args, "--format", "json"], env=job_env(night))
        assert "Traceback" not in result.stderr
        results.append(result)
    return {"folder": folder, "log": log, "history": history, "results": results}


def _trend(report: dict[str, Any], pattern: str) -> list[tuple[str, int]]:
    finding = next(f for f in report["findings"] if f["pattern"] == pattern)
    return [(point["night"], point["count"]) for point in finding["trend"]]


def test_fail_on_new_alerts_on_the_night_a_finding_appears_not_while_it_goes_on(
    three_nights: dict[str, Any],
) -> None:
    codes = [r.returncode for r in three_nights["results"]]
    # night 1: no baseline yet, so bob's failure is new; night 2: carol's expired
    # certificate is new; night 3: both are still open, nothing new: no alert
    assert codes == [1, 1, 0], [r.stderr for r in three_nights["results"]]
    statuses = [
        {f["pattern"]: f["status"] for f in json.loads(r.stdout)["findings"]}
        for r in three_nights["results"]
    ]
    assert statuses[1] == {"auth-invalid-credentials": "ongoing", "tls-cert-expired": "new"}
    assert statuses[2] == {"auth-invalid-credentials": "ongoing", "tls-cert-expired": "ongoing"}


def test_fail_on_new_counts_only_findings_at_or_above_its_severity(tmp_path: Path) -> None:
    log = write_nights(tmp_path)
    first = run(nightly_args(log, tmp_path), env=job_env(1))
    assert first.returncode == 0, first.stderr
    # carol's expired certificate is new on night 2, but high is below critical
    below = run(nightly_args(log, tmp_path, "--fail-on-new", "critical"), env=job_env(2))
    assert below.returncode == 0, below.stderr
    # and --fail-on still alerts for any open finding, new or not
    ongoing = run(nightly_args(log, tmp_path, "--fail-on", "high"), env=job_env(3))
    assert ongoing.returncode == 1


def test_trend_shows_each_nights_count_in_json(three_nights: dict[str, Any]) -> None:
    last = json.loads(three_nights["results"][2].stdout)
    assert _trend(last, "auth-invalid-credentials") == list(zip(NIGHTS, BOB_EVENTS, strict=True))
    assert _trend(last, "tls-cert-expired") == list(zip(NIGHTS, CAROL_EVENTS, strict=True))
    assert last["history"]["nights"] == NIGHTS
    second = json.loads(three_nights["results"][1].stdout)
    assert _trend(second, "tls-cert-expired") == [(NIGHTS[0], 0), (NIGHTS[1], 1)]
    assert sorted(p.name for p in three_nights["history"].iterdir()) == OURS


def test_trend_as_a_sparkline_in_text_and_html(three_nights: dict[str, Any]) -> None:
    folder, log = three_nights["folder"], three_nights["log"]
    history = folder / "history-copy"  # reruns of night 3, apart from the fixture's folder
    shutil.copytree(three_nights["history"], history)
    window = ["analyze", str(log), "--since", "yesterday", "--until", "today"]
    text = run([*window, "--history", str(history)], env=job_env(3)).stdout
    assert f"by night: {spark(list(BOB_EVENTS))}  1 → 2 → 3 events a night" in text
    assert f"by night: {spark(list(CAROL_EVENTS))}  0 → 1 → 1 events a night" in text
    assert spark([1, 2, 3]) == "▄▆█" and spark([0, 1, 1]) == "▁██"
    html = run([*window, "--history", str(history), "--format", "html"], env=job_env(3)).stdout
    assert 'aria-label="events per night: 1, 2, 3"' in html
    assert "<title>2026-11-25 00:00: 2</title>" in html
    # the same window again replaced its summary: still three nights, not four
    assert sorted(p.name for p in history.iterdir()) == OURS


def test_a_long_trend_shows_its_last_nights_and_its_peak() -> None:
    trend = [{"night": f"2026-11-{n:02d}T00:00:00.000Z", "count": n % 4} for n in range(1, 11)]
    assert trend_text(trend) == (
        "▄▆█▁▄▆█▁▄▆  0 → 1 → 2 → 3 → 0 → 1 → 2 events a night (the last 7 of 10 nights; peak 3)"
    )


def test_a_rerun_of_the_same_night_replaces_its_summary(three_nights: dict[str, Any]) -> None:
    history = three_nights["folder"] / "history-rerun"
    shutil.copytree(three_nights["history"], history)
    args = ["analyze", str(three_nights["log"]), "--since", "yesterday", "--until", "today"]
    again = run([*args, "--format", "json", "--history", str(history)], env=job_env(3))
    report = json.loads(again.stdout)
    assert _trend(report, "auth-invalid-credentials") == list(zip(NIGHTS, BOB_EVENTS, strict=True))
    assert sorted(p.name for p in history.iterdir()) == OURS
    # rebuilding night 2 later draws its trend from the nights before it only
    earlier = run([*args, "--format", "json", "--history", str(history)], env=job_env(2))
    assert json.loads(earlier.stdout)["history"]["nights"] == NIGHTS[:2]
    assert sorted(p.name for p in history.iterdir()) == OURS


def test_history_keeps_the_last_days_and_only_removes_its_own_files(tmp_path: Path) -> None:
    log = write_nights(tmp_path)
    history = tmp_path / "history"
    history.mkdir()
    strangers = ["notes.txt", "eelogs-night-old.json", "summary.json"]
    for name in strangers:
        (history / name).write_text("not ours")
    old = history / "eelogs-night-20260101T000000.000Z.json"  # ours, but 327 days old
    old.write_text('{"kind": "eelogs-night-summary", "night": "2026-01-01T00:00:00.000Z"}')
    window = ["analyze", str(log), "--since", "yesterday", "--until", "today"]
    for night in (1, 2, 3):
        result = run([*window, "--history", str(history)], env=job_env(night))
        assert result.returncode == 0, result.stderr
    assert not old.exists()
    assert sorted(p.name for p in history.iterdir()) == sorted([*OURS, *strangers])
    short = run(
        [*window, "--format", "json", "--history", str(history), "--history-days", "1"],
        env=job_env(3),
    )
    assert "removed 1 summaries older than 1 days" in short.stderr
    assert json.loads(short.stdout)["history"]["nights"] == NIGHTS[1:]
    assert sorted(p.name for p in history.iterdir()) == sorted([*OURS[1:], *strangers])


def test_a_damaged_summary_is_left_out_with_a_warning(three_nights: dict[str, Any]) -> None:
    history = three_nights["folder"] / "history-damaged"
    shutil.copytree(three_nights["history"], history)
    (history / OURS[1]).write_text('{"kind": "eelogs-night-summ')  # a half-written file
    (history / OURS[0]).write_text('{"kind": "eelogs-night-summary"}')  # JSON, but no night
    args = ["analyze", str(three_nights["log"]), "--since", "yesterday", "--until", "today"]
    result = run([*args, "--format", "json", "--history", str(history)], env=job_env(3))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert f"Warning: {history / OURS[1]} is no eelogs summary; left out" in result.stderr
    report = json.loads(result.stdout)
    assert sorted(report["history"]["unreadable"]) == OURS[:2]
    assert _trend(report, "auth-invalid-credentials") == [(NIGHTS[2], 3)]


def test_a_summary_is_small_and_names_no_account(tmp_path: Path) -> None:
    history = tmp_path / "history"
    env = {"EELOGS_NOW": "2026-11-24T08:00:00Z", "TZ": "UTC"}
    result = run(["analyze", SAMPLE, "--history", str(history)], env=env)
    assert result.returncode == 0, result.stderr
    (summary,) = history.iterdir()
    assert summary.name == "eelogs-night-20261124T072205.951Z.json"  # the last record read
    assert summary.stat().st_size < 8_000
    data = json.loads(summary.read_text())
    assert data["records"] == 4997 and data["unparsed"] == 0
    assert data["findings"]["oauth-invalid-client"] == {
        "severity": "critical",
        "count": 7,
        "accounts": 7,
        "open": True,
    }
    assert {"state": "authenticationError", "provider": "outlook", "count": 12} in data[
        "failing_accounts"
    ]
    assert "contoso" not in summary.read_text()  # counts only: no account, no address


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fail-on-new", "high"], "--fail-on-new needs --baseline"),
        (["--history", "{dir}", "--account", "bob"], "--history keeps the trend"),
        (["--history", "{file}"], "Invalid value for '--history'"),
        (["--history-days", "3"], "--history-days needs --history DIR"),
        (["--history", "{dir}", "--history-days", "0"], "Invalid value for '--history-days'"),
    ],
)
def test_nightly_usage_errors_are_clean(tmp_path: Path, extra: list[str], message: str) -> None:
    a_file = tmp_path / "plain"
    a_file.write_text("x")
    args = [a.format(dir=tmp_path / "h", file=a_file) for a in extra]
    result = run(["analyze", SAMPLE, *args])
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    if message.startswith("Invalid value"):  # click's own usage message, with its Usage:
        return
    assert result.stderr.startswith("Error: ") and "\nHint: " in result.stderr
    assert not (tmp_path / "h").exists()


def test_contrib_units_run_the_nightly_options() -> None:
    service = (REPO / "contrib/eelogs-nightly.service").read_text()
    cron = (REPO / "contrib/cron.d-eelogs").read_text()
    for text in (service, cron):
        assert "--fail-on-new high" in text and "--history /var/lib/eelogs/history" in text
        assert "--metrics " in text and "--baseline /var/lib/eelogs/latest.json" in text


def test_readme_documents_the_nightly_options() -> None:
    readme = (REPO / "README.md").read_text()
    for option in ("--fail-on-new", "--history", "--history-days", "--metrics", "lnav"):
        assert option in readme
