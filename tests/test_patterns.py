"""Issue 3: the catalog as tested data, `eelogs classify`, `eelogs patterns`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, classify_rows, pattern_toml, run

from eelogs.catalog import load_catalog
from eelogs.match import Classifier
from eelogs.selftest import check_catalog, check_example

CATALOG = load_catalog()
CLASSIFIER = Classifier(CATALOG)
REQUIRED = [
    "auth-invalid-credentials",
    "auth-app-password-required",
    "auth-web-login-required",
    "auth-error-threshold-disabled",
    "auth-server-failed",
    "m365-imap-disabled",
    "m365-smtp-auth-disabled",
    "oauth-invalid-grant",
    "oauth-redirect-uri-mismatch",
    "oauth-admin-consent-required",
    "oauth-insufficient-scope",
    "oauth-unauthorized-client",
    "oauth-invalid-client",
    "oauth-refresh-network-error",
    "gmail-api-not-enabled",
    "connect-refused",
    "connect-timeout",
    "dns-failure",
    "connection-reset",
    "tls-port-mismatch",
    "socket-timeout",
    "connection-flapping",
    "tls-cert-expired",
    "tls-self-signed",
    "tls-untrusted-chain",
    "tls-hostname-mismatch",
    "too-many-connections",
    "imap-throttled",
    "api-rate-limited",
    "webhook-endpoint-error",
    "webhook-unreachable",
    "webhook-blocked",
    "webhook-not-configured",
    "gmail-pubsub-error",
    "graph-subscription-error",
    "mailbox-not-found",
    "smtp-send-failed",
    "redis-error",
    "worker-crash",
    "license-inactive",
    "admin-login-failed",
    "api-token-rejected",
]
EXAMPLES = [
    pytest.param(
        p,
        e,
        id=f"{p.id}[{e.index}:{e.expect}]",
        marks=[pytest.mark.xfail(strict=True)] if e.expect.startswith("todo") else [],
    )
    for p in CATALOG.patterns
    for e in p.examples
]


@pytest.mark.parametrize(("pattern", "example"), EXAMPLES)
def test_embedded_example(pattern, example) -> None:  # type: ignore[no-untyped-def]
    assert check_example(CLASSIFIER, pattern, example) is None


def test_catalog_wide_rules_hold() -> None:
    assert [str(f) for f in check_catalog(CATALOG)] == []


@pytest.mark.parametrize("pattern_id", REQUIRED)
def test_required_pattern_has_enough_examples(pattern_id: str) -> None:
    pattern = CATALOG.get(pattern_id)
    assert pattern is not None, f"{pattern_id} is missing from patterns/"
    expects = [e.expect for e in pattern.examples]
    assert expects.count("match") >= 2 and expects.count("no-match") >= 1
    assert pattern.docs["fix"].strip() and pattern.action


def test_patterns_check_command_passes_on_the_shipped_catalog() -> None:
    result = run(["patterns", "check", "--corpus", str(REPO / "tests/corpus/healthy.log.gz")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"ok: {len(CATALOG.patterns)} patterns")


def test_healthy_corpus_produces_no_findings() -> None:
    corpus = REPO / "tests/corpus/healthy.log.gz"
    result = run(["analyze", "--format", "json", str(corpus)])
    report = json.loads(result.stdout)
    assert report["input"]["records"] >= 10_000
    assert report["findings"] == []
    assert report["summary"]["failing_accounts"] == 0
    messages = {r["msg"] for r in classify_rows(str(corpus))}
    for needed in (
        "EmailEngine starting up",
        "Successful login with a previous active session",
        "Initiated IDLE, waiting for server input",
        "Renewed OAuth2 access token",
        "Submission queue entry completed",
        "External API request completed",
    ):
        assert needed in messages


def test_classify_assigns_the_planted_id_to_every_sample_line() -> None:
    expected = json.loads((FIXTURES / "sample_expected.json").read_text())
    rows = classify_rows(str(REPO / "sample_logs/emailengine.log"))
    got = {str(r["line"]): r["pattern"] for r in rows if r["pattern"]}
    assert got == expected
    assert set(expected.values()) >= set(REQUIRED)


def test_classify_output_follows_the_interface(tmp_path: Path) -> None:
    lines = (REPO / "sample_logs/emailengine.log").read_text().splitlines()[:3]
    log = tmp_path / "a.log"
    log.write_text("banner\n" + "\n".join(lines) + "\n")
    rows = classify_rows(str(log))
    assert rows[0] == {
        "line": 1,
        "pattern": None,
        "unparsed": True,
        "source": str(log),
        "reason": "not JSON",
    }
    assert [r["line"] for r in rows] == [1, 2, 3, 4]
    assert set(rows[1]) >= {"line", "pattern", "severity", "account", "provider", "time"}


def test_patterns_show_prints_the_remedy_with_provider_notes() -> None:
    result = run(["patterns", "show", "auth-app-password-required"])
    assert result.returncode == 0
    out = result.stdout
    for part in (
        "auth-app-password-required — Provider requires an app password",
        "What:",
        "Why it matters:",
        "Fix:",
        "PUT /v1/account/<account>/reconnect",
        "Provider notes:",
        "Gmail / Google Workspace:",
        "iCloud:",
        "References:",
        "Examples:",
    ):
        assert part in out


def test_patterns_show_unknown_id_suggests_the_closest() -> None:
    result = run(["patterns", "show", "oauth-invalid-grnt"])
    assert result.returncode == 2
    assert result.stderr == (
        "Error: no pattern 'oauth-invalid-grnt'\nHint: did you mean 'oauth-invalid-grant'?\n"
    )


def test_patterns_list_json_covers_the_catalog() -> None:
    rows = json.loads(run(["patterns", "list", "--format", "json"]).stdout)
    assert {r["id"] for r in rows} == {p.id for p in CATALOG.patterns}


def _pattern_file(folder: Path, text: str, name: str = "my-pattern") -> Path:
    (folder / "custom").mkdir(parents=True, exist_ok=True)
    path = folder / "custom" / f"{name}.toml"
    path.write_text(text)
    return path


GOOD = pattern_toml(
    "my-pattern",
    '"msg" = "Custom failure"',
    '{"level":40,"time":1795420800000,"msg":"Custom failure"}',
)


@pytest.mark.parametrize(
    ("broken", "message", "hint"),
    [
        (
            GOOD.replace('severity = "low"', 'severity = "hihg"'),
            "severity: 'hihg' is not one of info, low, medium, high, critical",
            "did you mean 'high'?",
        ),
        (GOOD.replace("title =", "titel ="), "titel: unknown key", "did you mean 'title'?"),
        (
            GOOD.replace('"msg" = "Custom failure"', '"msg|startswit" = "Custom"'),
            "match[0].msg|startswit: unknown modifier 'startswit'",
            "did you mean 'startswith'?",
        ),
        (
            GOOD.replace('"msg" = "Custom failure"', "\"msg|re\" = '''(unclosed'''"),
            "match[0].msg|re: regex does not compile",
            "check the regex",
        ),
        (
            GOOD.replace('id = "my-pattern"', 'id = "other-name"'),
            "id: 'other-name' differs from the file name",
            "rename the file to other-name.toml or change the id",
        ),
        (
            GOOD.replace('"msg" = "Custom failure"', 'err.code = "X"'),
            "match[0].err: is a table, not a value",
            'quote the key: "err.code" = …',
        ),
    ],
)
def test_malformed_pattern_files_give_file_key_problem(
    tmp_path: Path, broken: str, message: str, hint: str
) -> None:
    path = _pattern_file(tmp_path, broken)
    result = run(
        ["analyze", "--patterns", str(tmp_path), str(REPO / "sample_logs/emailengine.log")]
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    first, second = result.stderr.splitlines()[:2]
    assert first.startswith(f"Error: {path}: {message}")
    assert second == f"Hint: {hint}"


def test_a_user_pattern_folder_adds_patterns(tmp_path: Path) -> None:
    _pattern_file(tmp_path, GOOD)
    log = tmp_path / "x.log"
    log.write_text('{"level":40,"time":1795420800000,"account":"a1","msg":"Custom failure"}\n')
    result = run(["analyze", "--format", "json", "--patterns", str(tmp_path), str(log)])
    assert [f["pattern"] for f in json.loads(result.stdout)["findings"]] == ["my-pattern"]
    assert run(["patterns", "check", str(tmp_path)]).stdout.startswith("ok: 1 pattern, ")


def test_catastrophic_user_regex_is_cut_off_and_the_run_finishes(tmp_path: Path) -> None:
    # `regex` already defuses (a+)+$; (a|a)* backtracks exponentially even there
    evil = GOOD.replace('"msg" = "Custom failure"', "\"msg|re\" = '''^(a|a)*$'''")
    evil = evil.replace('"msg":"Custom failure"', '"msg":"aaaa"')
    _pattern_file(tmp_path, evil)
    log = tmp_path / "x.log"
    log.write_text(
        '{"level":40,"time":1795420800000,"msg":"' + "a" * 60 + '!"}\n'
        '{"level":40,"time":1795420800001,"msg":"aaaa"}\n'
    )
    result = run(["analyze", "--format", "json", "--patterns", str(tmp_path), str(log)], timeout=60)
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["input"]["regex_timeouts"] == {"my-pattern": 1}
    assert report["input"]["records"] == 2


def test_catalog_docs_page_is_current() -> None:
    live = run(["patterns", "list", "--format", "md"]).stdout
    assert (REPO / "docs/patterns.md").read_text() == live, (
        "docs/patterns.md is stale: eelogs patterns list --format md > docs/patterns.md"
    )
    for pattern in CATALOG.patterns:
        assert f"### {pattern.id}" in live
