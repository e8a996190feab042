"""Issue 4: account states, providers, events, incidents, detectors and baselines."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, analyze_json, run
from scenarios import Writer, auth_failure, imap_login, new_account, oauth_failure

START = 1795420800000  # 2026-11-23T08:00:00Z


def _write(path: Path, writer: Writer) -> Path:
    path.write_text("".join(line + "\n" for line, _e, _t in writer.out))
    return path


def _known_log(path: Path) -> Path:
    """Five accounts whose true final state and provider are known."""
    w = Writer(random.Random(3), START, "ee-test")
    w.startup("2.79.2")
    # recovers: a Gmail password account fails to log in, then the new password works
    rec = new_account(w, "recovers", "gmail-password", "frank", intro=False)
    imap_login(w, rec, initial=True)
    auth_failure(
        w,
        rec,
        "3 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)",
        "auth-invalid-credentials",
        code="AUTHENTICATIONFAILED",
    )
    w.advance(60_000, 60_000)
    imap_login(w, rec, initial=False)
    # flappy: an iCloud account whose connections die within a minute (no throttling line:
    # older EmailEngine versions do not write it)
    flap = new_account(w, "flappy", "icloud", "flap", intro=False)
    for _ in range(4):
        imap_login(w, flap, initial=False)
        w.advance(20_000, 40_000)
        w.imap(
            flap,
            30,
            "Connection closed",
            [("type", "imapClient"), ("account", flap.id), ("disabled", False)],
        )
        w.advance(2_000, 4_000)
    imap_login(w, flap, initial=False)
    # oauth-url-only: nothing but the token endpoint's URL says it is Microsoft
    ms = new_account(w, "acct-7f3a", "outlook-oauth", intro=False)
    ms.spec = {**ms.spec, "token_url": "https://login.microsoftonline.com/common/oauth2/v2.0/token"}
    oauth_failure(
        w, ms, "invalid_grant", "The refresh token has been revoked.", "oauth-invalid-grant"
    )
    # host-only: a custom-domain user on Gmail's IMAP host
    host = new_account(w, "acct-9b2c", "gmail-password", intro=False)
    host.user = "ops@acme.example"
    imap_login(w, host, initial=True)
    # stuck: TCP/TLS up, then silence for ten minutes while the rest of the log goes on
    stuck = new_account(w, "stuck", "yahoo", "stan", intro=False)
    w.conn(stuck, 20, "Created primary client")
    w.imap(
        stuck,
        30,
        "Established secure TCP connection",
        [("secure", True), ("host", "imap.mail.yahoo.com"), ("port", 993)],
        cid=stuck.next_conn(),
    )
    for _ in range(12):
        w.advance(60_000, 60_000)
        w.api(30, "[response] get /health 200 (1ms)", [("component", "api")])
    return _write(path, w)


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    log = _known_log(tmp_path_factory.mktemp("known") / "known.log")
    return analyze_json(str(log))


def _account(report: dict[str, Any], account: str) -> dict[str, Any]:
    return next(a for a in report["accounts"] if a["account"] == account)


@pytest.mark.parametrize(
    ("account", "state", "provider"),
    [
        ("recovers", "connected", "gmail"),
        ("stuck", "connecting", "yahoo"),
        ("flappy", "connected", "icloud"),
        ("acct-7f3a", "authenticationError", "outlook"),
        ("acct-9b2c", "connected", "gmail"),
    ],
)
def test_final_state_and_provider(
    known: dict[str, Any], account: str, state: str, provider: str
) -> None:
    row = _account(known, account)
    assert (row["state"], row["provider"]) == (state, provider)


def test_recovered_problem_is_not_open(known: dict[str, Any]) -> None:
    finding = next(f for f in known["findings"] if f["pattern"] == "auth-invalid-credentials")
    assert finding["recovered_accounts"] == ["recovers"] and finding["open_accounts"] == []
    assert finding["open"] is False
    assert _account(known, "recovers")["failing"] is False


def test_detectors_find_what_no_line_says(known: dict[str, Any]) -> None:
    by_id = {f["pattern"]: f for f in known["findings"]}
    assert by_id["account-stuck-connecting"]["accounts"] == ["stuck"]
    assert by_id["connection-flapping"]["accounts"] == ["flappy"]
    assert by_id["connection-flapping"]["detector"] is True


def test_three_lines_of_one_failure_count_as_one_event(known: dict[str, Any]) -> None:
    finding = next(f for f in known["findings"] if f["pattern"] == "oauth-invalid-grant")
    assert (finding["count"], finding["lines"]) == (1, 3)
    assert _account(known, "acct-7f3a")["patterns"] == {"oauth-invalid-grant": 1}


def test_auth_method_is_reported(known: dict[str, Any]) -> None:
    assert _account(known, "acct-9b2c")["auth"] == "password"
    assert _account(known, "acct-7f3a")["auth"] == "oauth2"


def test_one_problem_on_many_accounts_is_one_provider_incident() -> None:
    report = analyze_json(str(REPO / "sample_logs/emailengine.log"))
    incident = next(i for i in report["incidents"] if i["pattern"] == "oauth-invalid-client")
    assert incident["kind"] == "provider-wide"
    assert incident["providers"] == ["outlook"] and len(incident["accounts"]) == 7
    assert incident["summary"].startswith("7 Microsoft 365 / Outlook accounts: OAuth2 client")
    detector = next(f for f in report["findings"] if f["pattern"] == "provider-incident")
    assert detector["open_accounts"] == incident["accounts"]


def _two_nights(tmp: Path) -> tuple[Path, Path]:
    first = Writer(random.Random(5), START, "ee")
    a = new_account(first, "alice", "gmail-password", "alice", intro=False)
    b = new_account(first, "bob", "yahoo", "bob", intro=False)
    auth_failure(
        first,
        a,
        "2 NO [ALERT] Application-specific password required: "
        "https://support.google.com/accounts/answer/185833 (Failure)",
        "auth-app-password-required",
    )
    auth_failure(
        first,
        b,
        "2 NO [AUTHENTICATIONFAILED] LOGIN Invalid credentials",
        "auth-invalid-credentials",
        code="AUTHENTICATIONFAILED",
    )
    second = Writer(random.Random(6), START + 86_400_000, "ee")
    b2 = new_account(second, "bob", "yahoo", "bob", intro=False)
    c2 = new_account(second, "carol", "dovecot", "carol", intro=False)
    a2 = new_account(second, "alice", "gmail-password", "alice", intro=False)
    imap_login(second, a2, initial=False)
    auth_failure(
        second,
        b2,
        "2 NO [AUTHENTICATIONFAILED] LOGIN Invalid credentials",
        "auth-invalid-credentials",
        code="AUTHENTICATIONFAILED",
    )
    from scenarios import connect_failure, err

    connect_failure(
        second, c2, err("certificate has expired", "CERT_HAS_EXPIRED"), "tls-cert-expired"
    )
    return _write(tmp / "night1.log", first), _write(tmp / "night2.log", second)


def test_baseline_marks_new_ongoing_resolved_over_two_runs(tmp_path: Path) -> None:
    night1, night2 = _two_nights(tmp_path)
    previous = tmp_path / "night1.json"
    first = run(["analyze", str(night1), "-o", str(previous)])
    assert first.returncode == 0, first.stderr
    report = analyze_json(str(night2), "--baseline", str(previous))
    status = {f["pattern"]: f["status"] for f in report["findings"]}
    assert status == {
        "auth-invalid-credentials": "ongoing",
        "tls-cert-expired": "new",
        "auth-app-password-required": "resolved",
    }
    accounts = {a["account"]: a.get("status") for a in report["accounts"]}
    assert accounts == {"alice": "resolved", "bob": "ongoing", "carol": "new"}
    assert report["baseline"]["new_failing_accounts"] == ["carol"]
    assert report["baseline"]["resolved_accounts"] == ["alice"]
    assert report["summary"]["new_since_baseline"] == 1


def test_first_night_without_a_baseline_warns_and_counts_everything_new(tmp_path: Path) -> None:
    latest = tmp_path / "latest.json"
    args = [
        "analyze",
        str(REPO / "sample_logs/emailengine.log"),
        "--format",
        "json",
        "--baseline",
        str(latest),
        "--save-json",
        str(latest),
    ]
    first = run(args)
    assert first.returncode == 0
    assert f"Warning: no baseline at {latest} yet" in first.stderr
    found = json.loads(first.stdout)["findings"]
    # over already and not open in the (empty) baseline: recovered, not resolved since it
    assert all(f["status"] == ("new" if f["open"] else "recovered") for f in found)
    second = json.loads(run(args).stdout)
    assert all(f["status"] == ("ongoing" if f["open"] else "recovered") for f in second["findings"])
    assert second["baseline"]["resolved_findings"] == []
    assert second["summary"]["new_since_baseline"] == 0
    (tmp_path / "bad.json").write_text("[1, 2]")
    broken = run([*args[:4], "--baseline", str(tmp_path / "bad.json")])
    assert broken.returncode == 2 and "is not an eelogs JSON report" in broken.stderr


def test_json_report_has_the_interface_keys() -> None:
    report = analyze_json(str(REPO / "sample_logs/emailengine.log"))
    assert set(report["input"]) >= {"records", "unparsed", "sources", "first", "last"}
    finding = report["findings"][0]
    assert set(finding) >= {
        "pattern",
        "title",
        "severity",
        "count",
        "accounts",
        "providers",
        "first",
        "last",
    }
    account = report["accounts"][0]
    assert set(account) >= {
        "account",
        "provider",
        "state",
        "patterns",
        "last_error",
        "first",
        "last",
    }
    assert set(report["providers"][0]) >= {"provider", "accounts", "findings"}
    allowed_states = {
        "connecting",
        "syncing",
        "connected",
        "authenticationError",
        "connectError",
        "unset",
        "disconnected",
        "paused",
        "unknown",
    }
    assert {a["state"] for a in report["accounts"]} <= allowed_states
    assert {a["provider"] for a in report["accounts"]} <= {
        "gmail",
        "outlook",
        "yahoo",
        "icloud",
        "other",
        "unknown",
    }
    json.dumps(report)
