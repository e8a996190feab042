"""`analyze`, `classify` and `watch` decide providers and states with one engine, so they
agree: each account's last `classify` row carries the provider and state `analyze` reports,
and every state change and finding `watch` prints names the provider and state `classify`
gives at that record. On the sample log and on a generated failure-heavy day."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import analyze_json, classify_rows, run

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def failure_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mix") / "failure.log"
    argv = [sys.executable, str(BENCH / "mixes.py"), "--mix", "failure", "--lines", "6000",
            "--accounts", "300", "-o", str(out)]  # fmt: skip
    subprocess.run(argv, check=True, timeout=300)
    return out


def _inputs(sample_log: Path, failure_day: Path) -> list[Path]:
    return [sample_log, failure_day]


@pytest.mark.parametrize("which", ["sample", "failure"])
def test_classify_last_rows_carry_what_analyze_reports(
    which: str, sample_log: Path, failure_day: Path
) -> None:
    log = sample_log if which == "sample" else failure_day
    report = analyze_json(str(log))
    reported = {a["account"]: (a["provider"], a["state"]) for a in report["accounts"]}
    last: dict[str, tuple[str, str]] = {}
    for row in classify_rows(str(log)):
        if row.get("account"):
            last[row["account"]] = (row["provider"], row["state"])
    assert len(reported) >= 50
    assert last == reported


@pytest.mark.parametrize("which", ["sample", "failure"])
def test_watch_says_what_classify_says_at_the_same_record(
    which: str, sample_log: Path, failure_day: Path
) -> None:
    log = sample_log if which == "sample" else failure_day
    # what classify says of each account at each moment: (account, time) → answers
    said: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for row in classify_rows(str(log)):
        if row.get("account"):
            said[(row["account"], row["time"])].add((row["provider"], row["state"]))
    watched = run(["watch", "--format", "json"], stdin=log.read_bytes(), timeout=300)
    assert watched.returncode == 0, watched.stderr
    rows: list[dict[str, Any]] = [json.loads(line) for line in watched.stdout.splitlines()]
    checked = 0
    for row in rows:
        if row["type"] not in ("state", "finding") or not row.get("account"):
            continue
        answers = said[(row["account"], row["time"])]
        providers = {provider for provider, _ in answers}
        assert row["provider"] in providers, row
        if row["type"] == "state":
            assert row["to"] in {state for _, state in answers}, row
        checked += 1
    assert checked >= 20
