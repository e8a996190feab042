"""The accuracy set (tests/accuracy/lines.jsonl) is well formed, and bench/accuracy.py scores it.

The set is data: lines as EmailEngine writes them, each with the answer a correct classifier
gives. These tests check its form (ids, JSON records, size, healthy share, known answer ids,
sources), that the scoring script runs end to end, and the catalog's figure on it: at least
95% right and no confident wrong fix (issue 18).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run

REPO = Path(__file__).resolve().parent.parent
ACCURACY = REPO / "tests" / "accuracy"
SET = ACCURACY / "lines.jsonl"
NEW_IDS = ACCURACY / "new-ids.txt"
BENCH = REPO / "bench" / "accuracy.py"

# A source cites the call that writes the line (file:line) or the document a server text is from.
CITES_FILE_LINE = re.compile(r"[\w./-]+\.(?:js|ts|py|c):\d+")
CITES_DOCUMENT = re.compile(r"https?://|RFC \d+|\bdocs?\b|\bHelp\b|Microsoft Learn|reference", re.I)


@pytest.fixture(scope="module")
def entries() -> list[dict[str, Any]]:
    rows = [json.loads(text) for text in SET.read_text(encoding="utf-8").splitlines() if text]
    assert rows, "the accuracy set is empty"
    return rows


@pytest.fixture(scope="module")
def allowed_ids() -> set[str]:
    """Today's catalog ids (from the real CLI) plus the catalog v2 ids listed in new-ids.txt."""
    listed = run(["patterns", "list", "--format", "json"])
    assert listed.returncode == 0, listed.stderr
    catalog = {pattern["id"] for pattern in json.loads(listed.stdout)}
    new = {
        text.split("\t")[0].strip()
        for text in NEW_IDS.read_text(encoding="utf-8").splitlines()
        if text.strip() and not text.startswith("#")
    }
    # new-ids.txt names the causes catalog v2 was to add; it has them all now
    assert new and new <= catalog, f"catalog v2 lacks {sorted(new - catalog)}"
    return catalog


def test_the_set_is_big_enough_and_has_healthy_lines(entries: list[dict[str, Any]]) -> None:
    assert len(entries) >= 170
    assert sum(1 for entry in entries if entry["expect"] is None) >= 35
    failed = [e for e in entries if e["expect"] and e["expect"].endswith("-failed")]
    assert len({e["id"] for e in failed}) >= 12, "too few 'cause not recognised' lines"


def test_ids_are_unique_and_every_entry_has_every_field(entries: list[dict[str, Any]]) -> None:
    ids = [entry["id"] for entry in entries]
    assert len(ids) == len(set(ids))
    for entry in entries:
        assert set(entry) == {"id", "line", "expect", "context", "source", "why"}, entry["id"]
        assert entry["why"].strip(), entry["id"]


def test_every_line_is_one_pino_record(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        line = entry["line"]
        assert "\n" not in line, entry["id"]
        record = json.loads(line)
        assert isinstance(record, dict), entry["id"]
        assert isinstance(record.get("level"), int), entry["id"]
        assert record["level"] in (10, 20, 30, 40, 50, 60), entry["id"]
        assert isinstance(record.get("time"), int), entry["id"]
        assert isinstance(record.get("msg"), str), entry["id"]
        assert line.startswith('{"level":'), entry["id"]  # pino's key order


def test_every_answer_is_a_known_id(entries: list[dict[str, Any]], allowed_ids: set[str]) -> None:
    unknown = {e["id"]: e["expect"] for e in entries if e["expect"] not in allowed_ids | {None}}
    assert not unknown


def test_every_context_is_one_of_the_rules(entries: list[dict[str, Any]]) -> None:
    contexts = {
        "imap-connect", "imap-auth", "imap-session", "smtp-connect", "smtp-auth", "smtp-send",
        "sent-upload", "oauth-refresh", "gmail-api", "ms-graph", "pubsub", "webhook", "redis",
        "worker", "api", "admin",
    }  # fmt: skip
    for entry in entries:
        assert entry["context"] is None or entry["context"] in contexts, entry["id"]
        if entry["expect"] and entry["expect"].endswith("-failed") and entry["context"]:
            ctx_failed = entry["expect"] in {f"{c}-failed" for c in contexts}
            assert not ctx_failed or entry["expect"] == f"{entry['context']}-failed", entry["id"]


def test_every_entry_cites_its_source(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        source = entry["source"]
        assert source.strip(), entry["id"]
        assert CITES_FILE_LINE.search(source) or CITES_DOCUMENT.search(source), entry["id"]


def _scored() -> dict[str, Any]:
    """bench/accuracy.py's JSON verdict on the set, run as a user would."""
    done = subprocess.run(
        [sys.executable, str(BENCH), "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_the_bench_scores_the_set_end_to_end() -> None:
    report = _scored()
    total = len([text for text in SET.read_text(encoding="utf-8").splitlines() if text])
    assert report["total"] == total
    assert report["right"] + report["wrong-but-honest"] + report["confident-wrong"] == total
    assert report["missing_rows"] == 0, "eelogs classify gave no row for some lines"
    assert 0.0 <= report["accuracy"] <= 1.0
    assert sum(row["total"] for row in report["by_expect"].values()) == total


def test_the_bench_text_report_and_another_set(tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    healthy = (
        '{"level":30,"time":1795000000000,"pid":1,"hostname":"h","msg":"Worker exited",'
        '"exitCode":0,"type":"imap"}'
    )
    refused = (
        '{"level":40,"time":1795000000001,"pid":1,"hostname":"h","tid":3,'
        '"component":"connection-client","account":"a1","cid":"c1","msg":"Failed to connect",'
        '"account":"a1","err":{"type":"Error","message":"connect ECONNREFUSED 192.0.2.1:993",'
        '"code":"ECONNREFUSED"}}'
    )
    rows = [
        {"id": "t-1", "line": healthy, "expect": None},
        {"id": "t-2", "line": refused, "expect": "connect-refused"},
        {"id": "t-3", "line": refused, "expect": "imap-connect-failed"},
    ]
    small.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    text = subprocess.run(
        [sys.executable, str(BENCH), "--set", str(small), "--misses"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    for figure in ("right:", "wrong-but-honest:", "confident wrong:", "accuracy:", "expected id"):
        assert figure in text.stdout, figure
    machine = subprocess.run(
        [sys.executable, str(BENCH), "--set", str(small), "--json"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    report = json.loads(machine.stdout)
    failed_ids = set(report["failed_ids"])
    assert "imap-auth-failed" in failed_ids and "account-reconnect-failed" not in failed_ids
    results = {result["id"]: result for result in report["results"]}
    assert set(results) == {"t-1", "t-2", "t-3"}
    for result in results.values():
        got, expect = result["got"], result["expect"]
        if got == expect:
            assert result["bucket"] == "right"
        elif got is None or got in failed_ids:
            assert result["bucket"] == "wrong-but-honest"
        else:
            assert result["bucket"] == "confident-wrong"
    # the two refused lines are the same record, so they get the same answer
    assert results["t-2"]["got"] == results["t-3"]["got"]


def test_the_catalog_gets_95_percent_right_and_never_a_confident_wrong_fix() -> None:
    report = _scored()
    wrong = [r for r in report["results"] if r["bucket"] == "confident-wrong"]
    assert report["confident-wrong"] == 0, wrong
    assert report["accuracy"] >= 0.95, report["accuracy"]
