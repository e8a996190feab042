"""The benchmark runs end to end on a small corpus, and its streamed reference counts right.

Timings are not asserted (issue 6: speed is measured by bench/, never by tests); the figures
must be there, and the streamed read must see every line, or its time would mean nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl

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
