"""The benchmark runs end to end on a small corpus, and its streamed reference counts right.

Timings are not asserted (issue 6: speed is measured by bench/, never by tests); the figures
must be there, and the streamed read must see every line, or its time would mean nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import polars as pl
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_bench_prints_every_figure(tmp_path: Path) -> None:
    argv = [sys.executable, str(BENCH / "run.py"), "--lines", "2000", "--rounds", "1",
            "--no-jq", "--corpus", str(tmp_path)]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=True)
    for row in ("grep -c", "polars read", "polars streamed", "import polars",
                "eelogs 1k lines", "eelogs (file)", "eelogs (stdin)"):  # fmt: skip
        assert f"2,000  {row}" in done.stdout, row
    for figure in ("eelogs / polars read:", "stdin / file:", "peak RSS:",
                   "streamed read:", "eelogs fixed cost:", "left for analysis:"):  # fmt: skip
        assert figure in done.stdout, figure
    assert len((tmp_path / "2k.log").read_bytes().splitlines()) == 2000
    assert len((tmp_path / "2k-head1000.log").read_bytes().splitlines()) == 1000


def test_streamed_read_counts_every_account(tmp_path: Path) -> None:
    log = tmp_path / "small.log"
    lines = [f'{{"level":30,"time":{1700000000000 + i},"msg":"m","account":"a{i % 7}"}}'
             for i in range(500)]  # fmt: skip
    lines.append('{"level":30,"time":1700000000999,"msg":"m","account":"last"}')
    log.write_text("\n".join(lines))  # the last line without its newline
    done = subprocess.run([sys.executable, str(BENCH / "streamed_read.py"), str(log)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    expected = pl.read_ndjson(log).group_by("account").len().height
    assert int(done.stdout) == expected == 8


# ------------------------------------------------------------------ issue 19's three mixes


def mix_lines(kind: str, lines: int, accounts: int, out: Path) -> list[dict[str, Any]]:
    """A small corpus of one mix, every line parsed (a line that is not JSON fails here)."""
    argv = [sys.executable, str(BENCH / "mixes.py"), "--mix", kind, "--lines", str(lines),
            "--accounts", str(accounts), "-o", str(out)]  # fmt: skip
    subprocess.run(argv, check=True, timeout=300)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == lines
    for record in records:
        assert isinstance(record["level"], int) and isinstance(record["time"], int)
        assert isinstance(record["msg"], str) and record["hostname"] == "ee-prod-01"
    return records


def share(records: list[dict[str, Any]], test: Callable[[dict[str, Any]], bool]) -> float:
    return sum(1 for record in records if test(record)) / len(records)


def analyzed(path: Path) -> dict[str, Any]:
    env = {**os.environ, "EELOGS_NOW": "2026-11-24T00:15:00Z", "TZ": "UTC"}
    argv = [sys.executable, "-m", "eelogs", "analyze", str(path), "--format", "json"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_trace_mix_is_mostly_protocol_below_info(tmp_path: Path) -> None:
    records = mix_lines("trace", 20000, 40, tmp_path / "trace.log")
    assert share(records, lambda r: r["level"] < 30) >= 0.6
    protocol = share(records, lambda r: r.get("src") in ("s", "c"))
    assert 0.6 <= protocol <= 0.8, protocol
    # about 0.3% warnings and errors, and they come in bursts of one account's trouble
    problems = [n for n, r in enumerate(records) if r["level"] >= 40]
    assert 0.001 <= len(problems) / len(records) <= 0.008, len(problems)
    assert sum(1 for a, b in pairwise(problems) if b - a <= 2) >= len(problems) // 2
    # imapflow's tags, UIDs and MODSEQs move on: the FETCH lines are nearly all distinct
    fetches = [r["msg"] for r in records if " FETCH (UID " in r["msg"]]
    assert len(fetches) > 1000 and len(set(fetches)) / len(fetches) > 0.95


def test_failure_mix_has_problems_and_every_kind_of_record(tmp_path: Path) -> None:
    records = mix_lines("failure", 20000, 40, tmp_path / "failure.log")
    assert share(records, lambda r: r["level"] >= 40) >= 0.05
    kinds: dict[str, Callable[[dict[str, Any]], bool]] = {
        "protocol": lambda r: r.get("src") in ("s", "c"),
        "http request": lambda r: "req" in r and r["msg"].startswith("[response] "),
        "config dump": lambda r: (
            r["msg"] == "API server configuration"
            and isinstance(r["cors"]["additionalHeaders"], list)
        ),
        "token request": lambda r: r["msg"] == "OAuth2 authentication request",
        "nodemailer": lambda r: r.get("sub") == "nodemailer",
        "error object": lambda r: isinstance(r.get("err"), dict),
        "worker restart": lambda r: r["msg"] == "Worker unexpectedly exited",
        "empty msg": lambda r: r["msg"] == "",
    }
    for name, test in kinds.items():
        assert share(records, test) >= 0.001, name  # one line in a thousand at least
    assert share(records, kinds["http request"]) >= 0.05


@pytest.mark.parametrize("kind", ["trace", "failure"])
def test_mix_visits_every_account_of_its_pool(tmp_path: Path, kind: str) -> None:
    """At 1M lines the pool is 5,000 accounts; here 40 in 6,000 lines: every one of them
    appears, many times, and no account comes from elsewhere."""
    records = mix_lines(kind, 6000, 40, tmp_path / f"{kind}.log")
    seen = Counter(r["account"] for r in records if "account" in r)
    assert len(seen) == 40
    assert min(seen.values()) >= 10


@pytest.mark.parametrize("kind", ["bench", "trace", "failure"])
def test_eelogs_reads_every_line_of_each_mix(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.log"
    mix_lines(kind, 3000, 5000, path)
    report = analyzed(path)
    assert report["input"]["records"] == 3000
    assert report["input"]["unparsed"] == 0


def test_mix_is_the_same_for_a_seed(tmp_path: Path) -> None:
    argv = [sys.executable, str(BENCH / "mixes.py"), "--mix", "failure", "--lines", "1500"]
    first = subprocess.run(argv, capture_output=True, check=True).stdout
    again = subprocess.run(argv, capture_output=True, check=True).stdout
    other = subprocess.run([*argv, "--seed", "8"], capture_output=True, check=True).stdout
    assert first == again != other


def test_bench_mixes_print_every_figure(tmp_path: Path) -> None:
    argv = [sys.executable, str(BENCH / "run.py"), "--mix", "all", "--lines", "1000",
            "--rounds", "1", "--big", "--corpus", str(tmp_path)]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=True)
    for kind in ("bench", "trace", "failure"):
        assert f"{kind} mix: 1,000 lines" in done.stdout, kind
        assert f"| {kind} | " in done.stdout, kind
        assert len((tmp_path / f"{kind}-1k.log").read_bytes().splitlines()) == 1000
    assert done.stdout.count("eelogs analyze --format json") == 4  # three mixes and --big
    assert done.stdout.count("polars reference") == 3
    assert done.stdout.count("eelogs / reference:") == 3
    for figure in ("failure mix: 10,000 lines", "10x lines / 1x time:", "peak RSS:"):
        assert figure in done.stdout, figure


def test_reference_keeps_warnings_per_account_and_message(tmp_path: Path) -> None:
    """Issue 6's reference reads err as a struct of three strings (an object or a number
    there must not stop it) and counts warnings and worse per account and msg."""
    sys.path.insert(0, str(BENCH))
    try:
        from mixes_run import REFERENCE_SCRIPT
    finally:
        sys.path.remove(str(BENCH))
    lines = [
        '{"level":50,"time":1,"msg":"a","account":"x","err":{"code":"E","response":{"t":1}}}',
        '{"level":40,"time":2,"msg":"a","account":"x","err":{"code":-104,"message":"m"}}',
        '{"level":40,"time":3,"msg":"b","account":"x"}',
        '{"level":60,"time":4,"msg":"a","account":"y","err":{"message":"m","stack":"s"}}',
        '{"level":30,"time":5,"msg":"c","account":"z"}',
    ]
    log = tmp_path / "ref.log"
    log.write_text("\n".join(lines) + "\n")
    done = subprocess.run([sys.executable, "-c", REFERENCE_SCRIPT, str(log)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert int(done.stdout) == 3  # (x, a), (x, b), (y, a)
