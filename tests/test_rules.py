"""Catalog v2: signals from any field, contexts, levels, expected records, named lists, the
code table, and the coverage inventory of EmailEngine's log call sites."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import pattern_toml, run

from eelogs.catalog import load_catalog
from eelogs.coverage import check_coverage, load_sites
from eelogs.match import Classifier
from eelogs.selftest import read_line
from eelogs.signals import MAX_DEPTH, signals

CATALOG = load_catalog()
CLASSIFIER = Classifier(CATALOG)


def _line(level: int = 50, msg: str = "Something", **fields: Any) -> str:
    record = {"level": level, "time": 1795428000000, "pid": 7, "hostname": "ee", "msg": msg}
    return json.dumps({**record, **fields})


def _signals(**fields: Any) -> set[str]:
    record = read_line(_line(**fields))
    assert record is not None
    return set(signals(record.err, record.data, record.msg))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"err": {"code": "ECONNREFUSED"}}, "code:ECONNREFUSED"),
        # Node 20+ AggregateError: empty message, the codes in its errors
        (
            {"err": {"message": "", "code": "ETIMEDOUT", "errors": [{"code": "EHOSTUNREACH"}]}},
            "code:EHOSTUNREACH",
        ),
        (
            {"err": {"message": "fetch failed", "cause": {"code": "ENETUNREACH"}}},
            "code:ENETUNREACH",
        ),
        (
            {"err": {"message": "x", "stack": "Error: connect EHOSTUNREACH 2a00::1:993\n at"}},
            "code:EHOSTUNREACH",
        ),
        ({"err": {"response": "2 NO [UNAVAILABLE] Try later"}}, "imap:UNAVAILABLE"),
        ({"err": {"serverResponseCode": "ALERT"}}, "imap:ALERT"),
        (
            {"err": {"responseCode": 535, "response": "535 5.7.139 Authentication unsuccessful"}},
            "smtp:5.7.139",
        ),
        (
            {"err": {"message": "Invalid login: 535-5.7.9 Application-specific password"}},
            "smtp:535",
        ),
        ({"err": {"statusCode": 429}}, "http:429"),
        (
            {
                "err": {
                    "oauthRequest": {
                        "response": {
                            "error": {"code": 403, "errors": [{"reason": "userRateLimitExceeded"}]}
                        }
                    }
                }
            },
            "reason:userRateLimitExceeded",
        ),
        (
            {
                "err": {
                    "tokenRequest": {"response": {"error": "invalid_grant", "error_codes": [53003]}}
                }
            },
            "aadsts:53003",
        ),
        ({"err": {"message": "AADSTS50057: The user account is disabled."}}, "aadsts:50057"),
        (
            {"err": {"response": '{"error":"deleted_client","error_description":"gone"}'}},
            "oauth:deleted_client",
        ),
        ({"response": {"error": "temporarily_unavailable"}}, "oauth:temporarily_unavailable"),
    ],
)
def test_signals_are_found_in_any_field(fields: dict[str, Any], expected: str) -> None:
    assert expected in _signals(**fields)


def test_signals_walk_is_bounded_on_hostile_nesting() -> None:
    deep: Any = {"code": "EDEEP"}
    for _ in range(5000):
        deep = [deep]
    found = signals({"errors": deep}, {}, "")
    assert "code:EDEEP" not in found  # beyond MAX_DEPTH, and no RecursionError
    shallow: Any = {"code": "ESHALLOW"}
    for _ in range(MAX_DEPTH - 3):
        shallow = [shallow]
    assert "code:ESHALLOW" in signals({"errors": shallow}, {}, "")


def _classify(line: str) -> str | None:
    record = read_line(line)
    assert record is not None
    found = CLASSIFIER.classify(record)
    return found.pattern.id if found else None


def test_contexts_follow_the_operation_not_the_error() -> None:
    auth = _line(40, "Failed to authenticate", component="connection-client", err={"m": 1})
    send = _line(50, "Message submission failed", err={"code": "EAUTH", "responseCode": 535})
    assert CLASSIFIER.context(read_line(auth)) == "imap-auth"  # type: ignore[arg-type]
    assert CLASSIFIER.context(read_line(send)) == "smtp-auth"  # type: ignore[arg-type]


def test_debug_records_make_no_finding_unless_a_pattern_opts_in() -> None:
    err = {"type": "Error", "message": "connect ECONNREFUSED 10.0.0.5:993", "code": "ECONNREFUSED"}
    warn = _line(50, "Failed to connect", component="connection-client", account="a", err=err)
    debug = warn.replace('"level": 50', '"level": 20')
    assert _classify(warn) is not None
    assert _classify(debug) is None
    hook = _line(20, "Webhook URL is not set", account="a", code="no_target_url")
    assert _classify(hook) == "webhook-not-configured"  # min_level = "debug": opted in


def test_the_error_sink_of_a_replaced_client_makes_no_finding() -> None:
    err = {"type": "Error", "message": "read ECONNRESET", "code": "ECONNRESET"}
    fields = {"component": "connection-client", "account": "a", "type": "imapClient", "err": err}
    live = _line(40, "IMAP connection error", **fields)
    replaced = _line(40, "IMAP connection error", previous=True, **fields)
    assert _classify(live) is not None
    assert _classify(replaced) is None


def _user_catalog(tmp_path: Path, name: str, match: str) -> Path:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    example = _line(50, "Quota check", err={"code": "EQUOTA"}, account="a")
    (folder / f"{name}.toml").write_text(pattern_toml(name, match, example))
    return folder


def test_user_patterns_in_todays_format_keep_loading_and_may_use_signals(tmp_path: Path) -> None:
    v1 = _user_catalog(tmp_path, "quota-old", '"msg" = "Quota check"\n"err.code" = "EQUOTA"')
    v2 = _user_catalog(tmp_path, "quota-new", '"signal" = "code:EQUOTA"')
    assert run(["patterns", "check", str(v1)]).returncode == 0
    result = run(["patterns", "check", str(v2)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("match", "problem"),
    [
        ('"signal" = "EQUOTA"', "is not kind:value"),
        ('"signal|contains" = "code:E"', "signals are compared whole"),
        ('"msg" = "@no-such-list"', "unknown list '@no-such-list'"),
    ],
)
def test_bad_rules_name_file_key_and_problem(tmp_path: Path, match: str, problem: str) -> None:
    folder = _user_catalog(tmp_path, "bad-rule", match)
    result = run(["patterns", "check", str(folder)])
    assert result.returncode == 2
    assert problem in result.stderr and "Hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_pattern_limited_to_an_unknown_context_is_refused(tmp_path: Path) -> None:
    folder = _user_catalog(tmp_path, "ctx", '"signal" = "code:EQUOTA"')
    path = folder / "ctx.toml"
    path.write_text(
        path.read_text().replace('severity = "low"', 'severity = "low"\ncontexts = ["imap-aut"]')
    )
    result = run(["patterns", "check", str(folder)])
    assert result.returncode == 2
    assert "contexts: 'imap-aut' is not one of" in result.stderr
    assert "did you mean 'imap-auth'" in result.stderr


def test_the_code_table_gives_its_pattern_a_block() -> None:
    for code in CATALOG.tables.codes:
        pattern = CATALOG.get(code.pattern)
        assert pattern is not None
        assert any(
            c.path == "signal" and code.signal in c.values
            for block in pattern.match
            for c in block.conditions
        ), f"{code.signal} gives {code.pattern} no block"


def test_every_inventory_site_gets_its_listed_outcome() -> None:
    sites = load_sites()
    assert len(sites) > 700  # every warn/error/fatal call site of EmailEngine 2.79.2
    coverage = check_coverage(CATALOG, sites)
    assert coverage.failures == (), "\n".join(coverage.failures[:40])
    assert all(s.example for s in sites)
    assert all(s.reason for s in sites if s.outcome == "ignored")


def test_patterns_check_prints_the_coverage() -> None:
    result = run(["patterns", "check"])
    assert "coverage:" in result.stdout + result.stderr
    assert "EmailEngine log call sites" in result.stdout + result.stderr


def test_a_finding_gives_the_remedy_note_of_the_operation_it_was_seen_in() -> None:
    err = {"type": "Error", "message": "certificate has expired", "code": "CERT_HAS_EXPIRED"}
    hook = _line(50, "Failed posting webhook", account="a", event="messageNew", err=err)
    imap = _line(50, "Failed to connect", component="connection-client", account="b", err=err)
    for fmt in ("md", "html"):
        with_hook = run(["analyze", "--format", fmt], stdin=hook + "\n" + imap + "\n").stdout
        assert "In Webhook delivery:" in with_hook and "renew it on the receiving" in with_hook
        only_imap = run(["analyze", "--format", fmt], stdin=imap + "\n").stdout
        assert "tls-cert-expired" in only_imap and "In Webhook delivery:" not in only_imap
