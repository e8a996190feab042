"""eelogs beside issue 6's polars reference on the three mixes of bench/mixes.py (issue 19).

Called by `python bench/run.py --mix all|bench|trace|failure [--big]`. Per mix: a 1M-line
corpus of 5,000 accounts (built once under bench/corpus/ and reused), then rounds in which
eelogs and the reference take turns, so a slow minute of a shared machine weighs on both
alike. Printed: median wall and CPU seconds, peak RSS, and eelogs / reference in wall and
CPU time. `--big` adds eelogs alone on 10M lines of the failure-heavy mix: peak RSS and the
10M / 1M time ratio.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from timing import measure

HERE = Path(__file__).resolve().parent
ORDER = ("bench", "trace", "failure")
EELOGS = "eelogs analyze --format json"
REFERENCE = "polars reference"
# issue 6's reference: polars reads the same file with an explicit 5-column schema, keeps
# warnings and worse, and counts them per account and message
REFERENCE_SCRIPT = (
    "import sys, polars as pl\n"
    "err = pl.Struct({'code': pl.String, 'message': pl.String, 'response': pl.String})\n"
    "schema = {'level': pl.Int64, 'time': pl.Int64, 'msg': pl.String,"
    " 'account': pl.String, 'err': err}\n"
    "df = pl.read_ndjson(sys.argv[1], schema=schema)\n"
    "print(df.filter(pl.col('level') >= 40).group_by('account', 'msg').len().height)\n"
)
Figures = tuple[float, float, float]  # median wall s, peak RSS MB, median CPU s


def build(kind: str, lines: int, corpus: Path) -> Path:
    label = f"{lines // 1000}k" if lines % 1000 == 0 else str(lines)
    path = corpus / f"{kind}-{label}.log"
    if not path.exists():
        corpus.mkdir(parents=True, exist_ok=True)
        print(f"building {path} ({lines:,} lines)…", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, str(HERE / "mixes.py"), "--mix", kind,
                        "--lines", str(lines), "--accounts", "5000", "-o", str(path)],
                       check=True)  # fmt: skip
    return path


def eelogs_argv(path: Path) -> list[str]:
    eelogs = (shutil.which("eelogs", path=str(Path(sys.executable).parent))
              or shutil.which("eelogs") or "eelogs")  # fmt: skip
    return [eelogs, "analyze", str(path), "--format", "json"]


def timed(commands: dict[str, list[str]], rounds: int) -> dict[str, tuple[Figures, str]]:
    """Each command once per round, in turns; medians, the highest RSS and the spread."""
    runs: dict[str, list[Figures]] = {name: [] for name in commands}
    for _round in range(rounds):
        for name, argv in commands.items():
            runs[name].append(measure(argv))
    out = {}
    for name, got in runs.items():
        walls = [r[0] for r in got]
        spread = f"{min(walls):.2f}–{max(walls):.2f}" if len(walls) > 1 else ""
        figures = (statistics.median(walls), max(r[1] for r in got),
                   statistics.median(r[2] for r in got))  # fmt: skip
        out[name] = (figures, spread)
    return out


def row(name: str, figures: Figures, spread: str = "") -> str:
    wall, rss, cpu = figures
    return f"  {name:<30} {wall:8.2f} s  {cpu:8.2f} CPU-s  {rss:7.0f} MB  {spread}"


def run_mix(kind: str, lines: int, rounds: int, corpus: Path) -> dict[str, Figures]:
    path = build(kind, lines, corpus)
    size = path.stat().st_size / 1e6
    print(f"\n{kind} mix: {lines:,} lines ({size:,.0f} MB), 5,000 accounts, "
          f"median of {rounds}", flush=True)  # fmt: skip
    commands = {EELOGS: eelogs_argv(path),
                REFERENCE: [sys.executable, "-c", REFERENCE_SCRIPT, str(path)]}  # fmt: skip
    results = timed(commands, rounds)
    for name, (figures, spread) in results.items():
        print(row(name, figures, spread), flush=True)
    ours, ref = results[EELOGS][0], results[REFERENCE][0]
    print(f"  eelogs / reference: {ours[0] / ref[0]:.2f}x wall, {ours[2] / ref[2]:.2f}x CPU"
          "  (goal ≤ 2.0x wall)", flush=True)  # fmt: skip
    return {name: figures for name, (figures, _spread) in results.items()}


def run_big(lines: int, one: Figures, corpus: Path) -> None:
    """eelogs alone on ten times the failure-heavy mix (the reference would need GBs)."""
    path = build("failure", lines * 10, corpus)
    print(f"\nfailure mix: {lines * 10:,} lines ({path.stat().st_size / 1e6:,.0f} MB), "
          "eelogs alone, one run", flush=True)  # fmt: skip
    big = timed({EELOGS: eelogs_argv(path)}, 1)[EELOGS][0]
    print(row(EELOGS, big))
    print(f"  10x lines / 1x time: {big[0] / one[0]:.1f}  (goal ≤ 11)")
    print(f"  peak RSS:            {big[1]:.0f} MB  (goal ≤ 300)")


def summary(results: dict[str, dict[str, Figures]]) -> None:
    """The figures once more as a Markdown table, for the README."""
    print("\n| mix | eelogs wall | eelogs CPU | eelogs RSS | reference wall | reference CPU "
          "| reference RSS | wall ratio | CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, got in results.items():
        (w, r, c), (rw, rr, rc) = got[EELOGS], got[REFERENCE]
        print(f"| {kind} | {w:.2f} s | {c:.2f} s | {r:.0f} MB | {rw:.2f} s | {rc:.2f} s "
              f"| {rr:.0f} MB | {w / rw:.2f}x | {c / rc:.2f}x |")


def main(mix: str, lines: int, rounds: int, big: bool, corpus: Path) -> None:
    kinds = list(ORDER) if mix == "all" else [mix]
    if big and "failure" not in kinds:  # the 10M ratio needs the 1M run of the same mix
        kinds.append("failure")
    results = {kind: run_mix(kind, lines, rounds, corpus) for kind in kinds}
    summary(results)
    if big:
        run_big(lines, results["failure"][EELOGS], corpus)
