"""Issue 17, item 3: reports say what is so: redaction, baseline counts, counts of one."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, analyze_json, pattern_toml, run

SAMPLE = str(REPO / "sample_logs/emailengine.log")
ONE_FAILURE = json.dumps(
    {
        "level": 40,
        "time": 1795420800000,
        "component": "connection-client",
        "account": "solo",
        "msg": "Failed to authenticate",
        "err": {
            "message": "Command failed",
            "response": "2 NO [AUTHENTICATIONFAILED] Invalid credentials",
            "authenticationFailed": True,
        },
    }
)
FORMATS = ("text", "md", "html", "json")


def _reports(*args: str) -> dict[str, str]:
    out = {}
    for fmt in FORMATS:
        result = run(["analyze", *args, "--format", fmt])
        assert result.returncode == 0, result.stderr
        out[fmt] = result.stdout
    return out


def test_no_redact_reports_say_they_are_not_redacted() -> None:
    raw = _reports(SAMPLE, "--no-redact")
    for fmt in ("text", "md", "html"):
        assert "(redacted)" not in raw[fmt], fmt
        assert "secrets redacted unless" not in raw[fmt], fmt
        assert "NOT redacted" in raw[fmt], fmt
    assert json.loads(raw["json"])["eelogs"]["redacted"] is False
    safe = _reports(SAMPLE)
    assert "Secrets in this report: redacted." in safe["text"]
    assert "(redacted)" in safe["md"] and "NOT redacted" not in safe["md"]
    assert "secrets redacted." in safe["html"] and "NOT redacted" not in safe["html"]
    assert json.loads(safe["json"])["eelogs"]["redacted"] is True


def test_same_input_as_the_baseline_resolves_nothing(tmp_path: Path) -> None:
    baseline = tmp_path / "A.json"
    assert run(["analyze", SAMPLE, "-o", str(baseline)]).returncode == 0
    report = analyze_json(SAMPLE, "--baseline", str(baseline))
    assert report["baseline"]["resolved_findings"] == []
    assert report["baseline"]["new_findings"] == []
    assert report["summary"]["new_since_baseline"] == 0
    over = [f for f in report["findings"] if not f["open"]]
    assert over and {f["status"] for f in over} == {"recovered"}
    text = run(["analyze", SAMPLE, "--baseline", str(baseline)]).stdout
    lines = text.splitlines()
    assert lines[1].endswith("4 medium")  # the header's line break (it ran on into "Since")
    assert lines[2] == f"Since {baseline}: 0 new, 32 ongoing, 0 resolved findings"
    html = run(["analyze", SAMPLE, "--baseline", str(baseline), "--format", "html"]).stdout
    assert "<b>0</b>resolved since baseline" in html and "<b>0</b>new since baseline" in html
    assert html.count(">recovered</span>") == len(over)  # one badge each, not two


def test_a_real_resolution_still_counts(tmp_path: Path) -> None:
    baseline = tmp_path / "A.json"
    assert run(["analyze", SAMPLE, "-o", str(baseline)]).returncode == 0
    rows = [json.loads(line) for line in run(["classify", SAMPLE]).stdout.splitlines()]
    gone = {r["line"] for r in rows if r["pattern"] == "tls-self-signed"}
    lines = Path(SAMPLE).read_text().splitlines(keepends=True)
    later = tmp_path / "B.log"
    later.write_text("".join(t for n, t in enumerate(lines, 1) if n not in gone))
    report = analyze_json(str(later), "--baseline", str(baseline))
    assert report["baseline"]["resolved_findings"] == ["tls-self-signed"]
    assert report["baseline"]["new_findings"] == []
    # resolved in B's report, absent in C: not resolved a second time
    b_json = tmp_path / "B.json"
    assert (
        run(["analyze", str(later), "--baseline", str(baseline), "-o", str(b_json)]).returncode == 0
    )
    third = analyze_json(str(later), "--baseline", str(b_json))
    assert third["baseline"]["resolved_findings"] == []


def test_counts_of_one_are_singular_everywhere(tmp_path: Path) -> None:
    log = tmp_path / "one.log"
    log.write_text(ONE_FAILURE + "\nnot a log line\n")
    reports = _reports(str(log))
    head = reports["text"].splitlines()[:2]
    assert head[0].startswith("eelogs · 1 record · ")
    assert head[1] == "1 account, 1 failing · 1 open finding · 1 high"
    assert "1 record from" in reports["md"] and "(1 unparsed line)" in reports["md"]
    assert "**1 of 1 account failing**, 1 open finding, 1 high." in reports["md"]
    assert "1 event (1 line)" in reports["md"]
    assert " · 1 record · 1 unparsed line" in reports["html"]
    assert "<b>1</b>open finding</a>" in reports["html"]
    summary = run(["analyze", str(log)]).stderr.splitlines()[-1]
    assert (
        summary == "eelogs: 1 record, 1 unparsed, 1 open finding (1 high), 1 of 1 account failing"
    )
    for fmt in ("text", "md", "html"):
        for wrong in ("1 records", "1 open findings", "1 accounts", "1 events", "1 lines"):
            assert wrong not in reports[fmt], (fmt, wrong)
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "my-pattern.toml").write_text(
        pattern_toml(
            "my-pattern", '"msg" = "Custom failure"', '{"level":40,"msg":"Custom failure"}'
        )
    )
    assert run(["patterns", "check", str(catalog)]).stdout == "ok: 1 pattern, 1 example\n"
