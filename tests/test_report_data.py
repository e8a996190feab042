"""Report data of issue 21: account timelines, findings that end, provider-incident counted once.

Logs are written here line by line, so each test says exactly what happened and when.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, analyze_json, run

from eelogs import timespec
from eelogs.errors import TimeSpecError

SAMPLE = str(REPO / "sample_logs/emailengine.log")
T0 = 1795478400000  # 2026-11-24T00:00:00Z
MIN = 60_000
PINNED = {"EELOGS_NOW": "2026-11-25T00:00:00Z", "TZ": "UTC"}


def line(t: int, msg: str, level: int = 30, account: str | None = None, **data: Any) -> str:
    record: dict[str, Any] = {"level": level, "time": t, "pid": 7, "hostname": "ee", "msg": msg}
    if account:
        record |= {"component": "connection-client", "account": account}
    return json.dumps(record | data)


def auth_failure(t: int, account: str, secret: str = "") -> str:
    return line(
        t,
        "Failed to authenticate",
        40,
        account,
        err={
            "message": "Command failed",
            "response": f"3 NO [AUTHENTICATIONFAILED] Invalid credentials {secret}".strip(),
            "serverResponseCode": "AUTHENTICATIONFAILED",
            "authenticationFailed": True,
        },
    )


def redis_error(t: int) -> str:
    return line(
        t,
        "Redis connection error",
        40,
        err={"message": "read ECONNRESET", "code": "ECONNRESET"},
    )


def write(tmp_path: Path, lines: list[str]) -> str:
    log = tmp_path / "ee.log"
    log.write_text("\n".join(lines) + "\n")
    return str(log)


def finding(report: dict[str, Any], pattern: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in report["findings"] if f["pattern"] == pattern)
    return found


def account(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in report["accounts"] if a["account"] == name)
    return found


def test_timeline_keeps_the_last_50_events_in_time_order_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    lines = [line(T0, "Created primary client", account="a1")]
    # 60 failures a minute apart: each is a finding event and (after the first, which
    # follows `connecting`) no state change, since the state stays authenticationError
    lines += [auth_failure(T0 + (i + 1) * MIN, "a1") for i in range(60)]
    lines.append(line(T0 + 70 * MIN, "Successful login without a previous active session",
                      account="a1"))  # fmt: skip
    report = analyze_json(write(tmp_path, lines), env=PINNED)
    row = account(report, "a1")
    timeline = row["timeline"]
    # 1 connecting + 60 findings + 1 authenticationError + 1 connected = 63 events
    assert len(timeline) == 50
    assert row["timeline_dropped"] == 13
    assert [e["time"] for e in timeline] == sorted(e["time"] for e in timeline)
    assert timeline[-1] == {
        "time": "2026-11-24T01:10:00.000Z",
        "kind": "state",
        "state": "connected",
        "pattern": None,
        "text": "Successful login without a previous active session",
    }
    events = [e for e in timeline if e["kind"] == "finding"]
    assert len(events) == 49
    assert {e["pattern"] for e in events} == {"auth-invalid-credentials"}
    assert all(e["state"] is None for e in events)
    assert "Invalid credentials" in events[0]["text"]


def test_timeline_of_a_short_history_is_whole_and_states_come_in_order(tmp_path: Path) -> None:
    lines = [
        line(T0, "Created primary client", account="a1"),
        auth_failure(T0 + 1000, "a1"),
        line(T0 + MIN, "Created primary client", account="a1"),
        line(T0 + MIN + 500, "Successful login with a previous active session", account="a1"),
    ]
    row = account(analyze_json(write(tmp_path, lines), env=PINNED), "a1")
    assert row["timeline_dropped"] == 0
    assert [(e["kind"], e["state"] or e["pattern"]) for e in row["timeline"]] == [
        ("state", "connecting"),
        ("state", "authenticationError"),
        ("finding", "auth-invalid-credentials"),
        ("state", "connecting"),
        ("state", "connected"),
    ]


def test_timeline_text_is_redacted_before_it_is_cut(tmp_path: Path) -> None:
    prefix = "3 NO [AUTHENTICATIONFAILED] Invalid credentials "
    # the bearer token starts just before the cut at 160 characters: cut first, the few
    # characters left would be too short for the rule and reach the report
    padding = "p" * (146 - len(prefix))
    lines = [auth_failure(T0, "a1", secret=f"{padding} Bearer Zq9Zq9Zq9Zq9Zq9Zq9Zq9")]
    report = analyze_json(write(tmp_path, lines), env=PINNED)
    text = account(report, "a1")["timeline"][-1]["text"]
    assert text.startswith(prefix + padding + " Bearer [REDA")
    assert "Zq" not in text
    assert len(text) == 160 and text.endswith("…")


def test_a_redis_error_ends_when_queue_work_completes_after_it(tmp_path: Path) -> None:
    lines = [
        redis_error(T0),
        line(T0 + 5 * MIN, "Submission queue entry completed", account="a1"),
        line(T0 + 10 * MIN, "New message", account="a1"),
    ]
    log = write(tmp_path, lines)
    report = analyze_json(log, env=PINNED)
    redis = finding(report, "redis-error")
    assert redis["open"] is False
    assert redis["ended"] == "2026-11-24T00:00:00.000Z"
    assert redis["ended_by"] == "signal:send"
    assert redis["last_seen_ago_s"] == 600
    assert report["summary"]["open_findings"] == 0
    assert run(["analyze", log, "--fail-on", "critical"], env=PINNED).returncode == 0


def test_a_redis_error_without_recovery_stays_open_until_the_quiet_period(
    tmp_path: Path,
) -> None:
    lines = [redis_error(T0), line(T0 + 30 * MIN, "New message", account="a1")]
    log = write(tmp_path, lines)
    report = analyze_json(log, env=PINNED)
    redis = finding(report, "redis-error")
    assert redis["open"] is True and redis["ended"] is None
    assert redis["last_seen_ago_s"] == 1800
    assert run(["analyze", log, "--fail-on", "critical"], env=PINNED).returncode == 1
    shorter = analyze_json(log, "--quiet-period", "20m", env=PINNED)
    over = finding(shorter, "redis-error")
    assert over["open"] is False and over["ended_by"] == "quiet"
    assert over["ended"] == "2026-11-24T00:00:00.000Z"
    assert run(["analyze", log, "--fail-on", "critical", "--quiet-period", "20m"],
               env=PINNED).returncode == 0  # fmt: skip


def test_a_recovery_before_the_last_error_does_not_end_it(tmp_path: Path) -> None:
    lines = [
        redis_error(T0),
        line(T0 + MIN, "Submission queue entry completed", account="a1"),
        redis_error(T0 + 2 * MIN),
        line(T0 + 3 * MIN, "New message", account="a1"),
    ]
    redis = finding(analyze_json(write(tmp_path, lines), env=PINNED), "redis-error")
    assert redis["open"] is True and redis["ended"] is None


def test_an_account_finding_never_ends_by_quiet_period(tmp_path: Path) -> None:
    lines = [auth_failure(T0, "a1"), line(T0 + 5 * 60 * MIN, "New message", account="a2")]
    report = analyze_json(write(tmp_path, lines), env=PINNED)
    found = finding(report, "auth-invalid-credentials")
    assert found["open"] is True and found["ended"] is None
    assert found["last_seen_ago_s"] == 5 * 3600


def test_sample_ends_stale_instance_findings_and_counts_provider_incident_once() -> None:
    report = analyze_json(SAMPLE, env=PINNED)
    assert finding(report, "redis-error")["ended_by"] == "signal:send"
    assert finding(report, "license-inactive")["ended_by"] == "quiet"
    assert finding(report, "worker-crash")["open"] is False
    incident = finding(report, "provider-incident")
    assert incident["restates"] == ["oauth-invalid-client"]
    assert incident["open"] is True  # kept in the JSON under its own id
    assert any("7 Microsoft 365" in s for s in finding(report, "oauth-invalid-client")["incidents"])
    counted = [f for f in report["findings"] if f["open"] and not f["restates"]]
    summary = report["summary"]
    assert summary["open_findings"] == len(counted)
    assert summary["by_severity"]["critical"] == sum(f["severity"] == "critical" for f in counted)
    assert sum(summary["by_severity"].values()) == summary["open_findings"]


def test_quiet_period_parses_durations_and_refuses_nonsense() -> None:
    assert timespec.duration_ms("30m") == 30 * MIN
    assert timespec.duration_ms("2h") == 120 * MIN
    assert timespec.duration_ms("1.5h") == 90 * MIN
    for bad in ("-2h", "2", "2x", "0m", "2h ago"):
        with pytest.raises(TimeSpecError):
            timespec.duration_ms(bad)
    result = run(["analyze", SAMPLE, "--quiet-period", "soon"])
    assert result.returncode == 2
    assert result.stderr.startswith("Error: cannot read the duration 'soon'")
    assert "Hint:" in result.stderr and "Traceback" not in result.stderr
