"""Issue 5: reports people read: golden files, a real browser, secrets, escaping."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cdp import Browser
from conftest import REPO, run
from markdown_check import broken_rows, live_markup

PINNED = {"SOURCE_DATE_EPOCH": "1795500000", "COLUMNS": "80"}  # the text report fits the width
GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLE = "sample_logs/emailengine.log"
CASES = {
    "report.txt": ["analyze", SAMPLE, "--format", "text"],
    "report.md": ["analyze", SAMPLE, "--format", "md"],
    "report.html": ["analyze", SAMPLE, "--format", "html"],
    "report.json": ["analyze", SAMPLE, "--format", "json"],
    "ticket-sales-o365.md": ["analyze", SAMPLE, "--account", "sales-o365", "--format", "md"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_report(name: str, request: pytest.FixtureRequest) -> None:
    """Regenerate with `pytest tests/test_report.py --update-golden` after a wanted change."""
    result = run(CASES[name], cwd=REPO, env=PINNED)
    assert result.returncode == 0, result.stderr
    golden = GOLDEN / name
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text(), f"{name} changed; see --update-golden"


def test_color_only_on_request() -> None:
    plain = run(["analyze", SAMPLE], cwd=REPO)
    assert "\033[" not in plain.stdout
    colored = run(["analyze", SAMPLE, "--color"], cwd=REPO)
    assert "\033[1;31mCRITICAL" in colored.stdout


def _open(chromium: str, html: Path, tmp: Path) -> Browser:
    browser = Browser(chromium, tmp / "profile")
    browser.open_page(html.as_uri())
    return browser


def _problems(browser: Browser, page: str) -> tuple[list[str], list[str]]:
    requests = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent" and e["params"]["request"]["url"] != page
    ]
    errors = [
        json.dumps(e["params"])[:300]
        for e in browser.events
        if (
            e.get("method") == "Runtime.consoleAPICalled"
            and e["params"]["type"] in ("error", "assert")
        )
        or e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
        or e.get("method") == "Page.javascriptDialogOpening"
    ]
    return requests, errors


def test_html_report_in_a_real_browser(chromium: str, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    assert run(["analyze", SAMPLE, "-o", str(html)], cwd=REPO).returncode == 0
    browser = _open(chromium, html, tmp_path)
    try:
        names = (
            "Array.from(document.querySelectorAll('#accounts-table tbody tr'))"
            ".filter(r => !r.hidden).map(r => r.cells[0].textContent)"
        )
        original = browser.evaluate(names)
        assert len(original) == 57
        browser.evaluate("document.querySelectorAll('#accounts-table th')[0].click()")
        ascending = browser.evaluate(names)
        assert ascending == sorted(original, key=str.lower)
        browser.evaluate("document.querySelectorAll('#accounts-table th')[0].click()")
        assert browser.evaluate(names) == ascending[::-1]
        browser.evaluate("document.querySelectorAll('#accounts-table th')[4].click()")
        problems = browser.evaluate(
            "Array.from(document.querySelectorAll('#accounts-table tbody tr'))"
            ".map(r => Number(r.cells[4].textContent))"
        )
        assert problems == sorted(problems)
        browser.evaluate("""(() => { const box = document.querySelector('input.filter');
            box.value = 'outlook authenticationError';
            box.dispatchEvent(new Event('input')); })()""")
        shown = browser.evaluate(
            "Array.from(document.querySelectorAll('#accounts-table tbody tr'))"
            ".filter(r => !r.hidden).map(r => r.textContent)"
        )
        assert shown and all("outlook" in r and "authenticationError" in r for r in shown)
        assert len(shown) < len(original)
        browser.screenshot(tmp_path / "report.png")
        assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        requests, errors = _problems(browser, html.as_uri())
    finally:
        browser.close()
    assert requests == [], "the report loaded something from outside the file"
    assert errors == []


XSS = [
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "`|` pipes | and ``` fences",
]


def _xss_log(path: Path) -> Path:
    lines = []
    for n, probe in enumerate(XSS):
        lines.append(
            json.dumps(
                {
                    "level": 40,
                    "time": 1795420800000 + n,
                    "pid": 7,
                    "hostname": "ee",
                    "component": "connection-client",
                    "account": f"acct{probe}",
                    "msg": "Failed to authenticate",
                    "err": {
                        "message": "Command failed",
                        "response": f"2 NO {probe}",
                        "authenticationFailed": True,
                    },
                }
            )
        )
        lines.append(json.dumps({"level": 50, "time": 1795420800100 + n, "msg": f"boom {probe}"}))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_log_text_cannot_inject_html_or_break_markdown(tmp_path: Path) -> None:
    log = _xss_log(tmp_path / "xss.log")
    html = run(["analyze", str(log), "--format", "html"]).stdout
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html
    markdown = run(["analyze", str(log), "--format", "md"]).stdout
    assert not broken_rows(markdown)
    # `<script>` may be shown (in a code span or a fence), never be HTML
    assert not live_markup(markdown, "acct")


def test_hostile_report_stays_inert_in_a_browser(chromium: str, tmp_path: Path) -> None:
    html = tmp_path / "xss.html"
    assert run(["analyze", str(_xss_log(tmp_path / "xss.log")), "-o", str(html)]).returncode == 0
    browser = _open(chromium, html, tmp_path)
    try:
        requests, errors = _problems(browser, html.as_uri())
        assert browser.evaluate("document.querySelectorAll('img').length") == 0
    finally:
        browser.close()
    assert requests == [] and errors == []


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


SECRETS = {
    "google access token": "ya29.a0AfH6SMBxSECRETaccess1234567890",
    "google refresh token": "1//0gSECRETrefreshTokenValue_abcdef",
    "jwt id token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJTRUNSRVQifQ.SECRETsignature123",
    "google client secret": "GOCSPX-SECRETclientsecret12345",
    "azure client secret": "Q2x8Q~SECRETazureSecretValue1234567890ab",
    "microsoft refresh token": "1.AXsASECRETmicrosoftRefreshToken0123456789",
    "google auth code": "4/0AVMBsSECRETauthcode1234567890abcdef",
    "oauth state": "account:add:SECRETstate123456",
    "api token": "5ec2e7d0c0ffee00" * 4,
    "auth plain": _b64("\0support@acme-corp.com\0SECRETpassword"),
    "xoauth2": _b64("user=support@acme-corp.com\x01auth=Bearer SECRETbearer\x01\x01"),
    "joi password": "SECRETjoipassword",
    "cookie": "ee=SECRETcookievalue",
    "bearer header": "SECRETbearertoken123",
    "socket dump": _b64("A1 LOGIN support SECRETsocketpassword\r\n"),
    "proxy password": "SECRETproxypass",
}


def _secret_log(path: Path) -> Path:
    s = SECRETS
    conn = {
        "level": 40,
        "pid": 7,
        "hostname": "ee",
        "tid": 3,
        "component": "connection-client",
        "account": "leaky",
        "cid": "1p9x2c7v4b6n8m0l3k5j",
    }
    lines = [
        {
            **conn,
            "time": 1795420800000,
            "msg": "OAuth2 authentication request",
            "action": "oauth2Fetch",
            "url": "https://oauth2.googleapis.com/token",
            "success": False,
            "status": 400,
            "request": {
                "refresh_token": s["google refresh token"],
                "client_secret": s["google client secret"],
                "code": s["google auth code"],
            },
            "response": {
                "error": "invalid_grant",
                "access_token": s["google access token"],
                "id_token": s["jwt id token"],
                "error_description": f"bad {s['azure client secret']}",
            },
        },
        {
            **conn,
            "time": 1795420800001,
            "msg": "Failed to renew OAuth2 access token",
            "err": {
                "message": f"Token request failed: invalid_grant {s['microsoft refresh token']}",
                "tokenRequest": {
                    "clientSecret": s["azure client secret"],
                    "response": {"error": "invalid_grant"},
                },
            },
        },
        {
            **conn,
            "time": 1795420800002,
            "component": "smtp-pool",
            "msg": f"Pool Error for #1: Invalid login: AUTH PLAIN {s['auth plain']}",
            "err": {"message": f"Invalid login AUTH XOAUTH2 {s['xoauth2']}", "code": "EAUTH"},
            "sub": "nodemailer",
        },
        {**conn, "time": 1795420800003, "level": 50, "src": "c", "msg": s["auth plain"]},
        {
            "level": 50,
            "time": 1795420800004,
            "pid": 7,
            "hostname": "ee",
            "tid": 1,
            "component": "api",
            "msg": "API request failed",
            "statusCode": 400,
            "req": {
                "method": "get",
                "url": "/oauth",
                "query": {
                    "code": s["google auth code"],
                    "state": s["oauth state"],
                    "access_token": s["api token"],
                },
                "headers": {"cookie": s["cookie"], "authorization": f"Bearer {s['bearer header']}"},
            },
            "err": {
                "message": f"Invalid token {s['api token']}",
                "statusCode": 400,
                "_original": {"pass": s["joi password"]},
            },
        },
        {
            "level": 60,
            "time": 1795420800005,
            "pid": 7,
            "hostname": "ee",
            "msg": "Invalid settings configuration provided",
            "err": {
                "message": '"password" is invalid',
                "details": [{"context": {"value": s["joi password"]}}],
                "_original": {"pass": s["joi password"]},
            },
        },
        {
            **conn,
            "time": 1795420800006,
            "level": 50,
            "msg": "read from socket",
            "data": s["socket dump"],
            "src": "s",
        },
        {
            "level": 40,
            "time": 1795420800007,
            "pid": 7,
            "hostname": "ee",
            "msg": "HTTP proxy agent reloaded",
            "httpProxyUrl": f"http://user:{s['proxy password']}@proxy.example:3128",
        },
        {
            "level": 40,
            "time": 1795420800008,
            "pid": 7,
            "hostname": "ee",
            "tid": 1,
            "msg": "Rate limited",
            "token": s["api token"],
        },
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_planted_secrets_reach_no_output(tmp_path: Path) -> None:
    log = _secret_log(tmp_path / "leaky.log")
    outputs = {
        fmt: run(["analyze", str(log), "--format", fmt]).stdout
        for fmt in ("text", "md", "html", "json")
    }
    outputs["ticket"] = run(["analyze", str(log), "--account", "leaky", "--format", "md"]).stdout
    outputs["classify"] = run(["classify", str(log)]).stdout
    raw = run(["analyze", str(log), "--format", "json", "--no-redact"])
    assert "Warning: --no-redact" in raw.stderr
    assert "SECRET" in raw.stdout  # the planted lines do reach the report's samples
    for fmt, text in outputs.items():
        assert len(text) > 200, fmt
        for kind, secret in SECRETS.items():
            assert secret not in text, f"{kind} leaked into {fmt}"
        assert "SECRET" not in text, f"something planted leaked into {fmt}"


def test_pseudonymize_keeps_grouping(tmp_path: Path) -> None:
    result = run(["analyze", SAMPLE, "--format", "json", "--pseudonymize"], cwd=REPO)
    report = json.loads(result.stdout)
    accounts = [a["account"] for a in report["accounts"]]
    assert all(a.startswith("account-") for a in accounts)
    assert "sales-o365" not in result.stdout and "helpdesk@acme-corp.com" not in result.stdout
    assert "customer@example.net" not in result.stdout
    assert "@example.net" in result.stdout  # addresses keep their domain, lose their person
    again = json.loads(
        run(["analyze", SAMPLE, "--format", "json", "--pseudonymize"], cwd=REPO).stdout
    )
    assert [a["account"] for a in again["accounts"]] == accounts
    failing = next(f for f in report["findings"] if f["pattern"] == "oauth-invalid-client")
    assert len(failing["accounts"]) == 7 and set(failing["accounts"]) <= set(accounts)


def test_user_templates_override_the_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "report.text.j2").write_text("{{ report.summary.open_findings }} open\n")
    result = run(["analyze", SAMPLE, "--templates", str(tmp_path)], cwd=REPO)
    assert result.stdout == "32 open\n"
    (tmp_path / "report.md.j2").write_text("{{ report.nothing.here }}")
    broken = run(["analyze", SAMPLE, "--templates", str(tmp_path), "--format", "md"], cwd=REPO)
    assert broken.returncode == 2 and broken.stderr.startswith("Error: report template")


def test_screenshot_and_excerpt_in_readme_exist() -> None:
    readme = (REPO / "README.md").read_text()
    for shot in ("docs/report-1400.png", "docs/report-400.png"):
        assert shot in readme and (REPO / shot).exists()
    assert "## Information to provide" in readme
