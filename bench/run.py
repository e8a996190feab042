#!/usr/bin/env python3
"""eelogs speed and memory, side by side with grep, a polars read and jq, on the same file.

    python bench/run.py                 # 1M-line corpus, 3 rounds
    python bench/run.py --big           # also eelogs on the 10M-line corpus (3 GB)
    python bench/run.py --lines 200000 --rounds 1   # a quick look
    python bench/run.py --no-jq --rounds 5          # eelogs and polars only
    python bench/run.py --mix all       # issue 19: three 1M-line mixes beside polars
    python bench/run.py --mix failure --big         # and 10M lines of the failure mix

With --mix, bench/mixes_run.py runs instead: eelogs beside issue 6's polars reference on the
bench corpus, a trace-level mix and a failure-heavy mix (bench/mixes.py).

Corpora are built by sample_logs/generate.py under bench/corpus/ (git-ignored) and reused.
Prints medians (with the fastest and slowest run), peak RSS, median CPU seconds (user and
system) and the ratios issue 6 asks for; then what its 1.5x budget leaves for the analysis
once every line is streamed through polars (bench/streamed_read.py) and eelogs has started
and written its report (eelogs on the corpus' first 1,000 lines).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import mixes_run
from timing import measure

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
POLARS_READ = (
    "import io, sys, polars as pl;"
    "df = pl.read_ndjson(sys.argv[1], schema={'level': pl.Int64, 'time': pl.Int64,"
    " 'msg': pl.String, 'account': pl.String, 'component': pl.String});"
    "print(df.group_by('account').len().height)"
)


def build(lines: int, corpus: Path) -> Path:
    path = corpus / (f"{lines // 1000}k.log" if lines % 1000 == 0 else f"{lines}.log")
    if not path.exists():
        corpus.mkdir(parents=True, exist_ok=True)
        print(f"building {path} ({lines:,} lines)…", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE.parent / "sample_logs/generate.py"),
                        "--lines", str(lines), "--accounts", "5000", "-o", str(path)],
                       check=True)
    return path


def head(path: Path, lines: int) -> Path:
    """The corpus' first lines, for eelogs' fixed cost (start, catalog, report)."""
    small = path.with_name(f"{path.stem}-head{lines}.log")
    if not small.exists():
        with open(path, "rb") as src:
            small.write_bytes(b"".join(line for _, line in zip(range(lines), src, strict=False)))
    return small


def commands(path: Path) -> dict[str, tuple[list[str], Path | None]]:
    eelogs = (shutil.which("eelogs", path=str(Path(sys.executable).parent))
              or shutil.which("eelogs") or "eelogs")
    out: dict[str, tuple[list[str], Path | None]] = {
        "grep -c": (["grep", "-c", "Failed", str(path)], None),
        "polars read": ([sys.executable, "-c", POLARS_READ, str(path)], None),
        # what is left of 1.5x after streaming every line and after eelogs' own fixed cost
        "polars streamed": ([sys.executable, str(HERE / "streamed_read.py"), str(path)], None),
        "import polars": ([sys.executable, "-c", "import polars"], None),
        "eelogs 1k lines": ([eelogs, "analyze", str(head(path, 1000)), "--format", "json"],
                            None),
        "eelogs (file)": ([eelogs, "analyze", str(path), "--format", "json"], None),
        "eelogs (stdin)": ([eelogs, "analyze", "--format", "json"], path),
    }
    zst = path.with_suffix(".log.zst")
    if shutil.which("zstd"):
        if not zst.exists():
            subprocess.run(["zstd", "-q", "-3", str(path), "-o", str(zst)], check=True)
        out["eelogs (.zst)"] = ([eelogs, "analyze", str(zst), "--format", "json"], None)
    if shutil.which("jq"):
        # issue 6's reference: jq itself counting lines per account
        out["jq"] = (["jq", "-n", 'reduce inputs as $r ({}; .[$r.account // "-"] += 1) | length',
                      str(path)], None)
        # for information: jq only extracts, coreutils count
        out["jq | sort | uniq"] = (["sh", "-c", f"jq -r '.account // \"-\"' {path} | sort | "
                                    "uniq -c | wc -l"], None)
    return out


def run(
    lines: int, rounds: int, keep: Callable[[str], bool], corpus: Path
) -> dict[str, tuple[float, float, float]]:
    """Median wall time, peak RSS and median CPU time of each command. Rounds take turns
    (every command once per round), so that a slower stretch of a shared machine weighs on
    all of them alike."""
    path = build(lines, corpus)
    chosen = {name: cmd for name, cmd in commands(path).items() if keep(name)}
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in chosen}
    for round_ in range(rounds):
        for name, (argv, stdin) in chosen.items():
            if name.startswith("jq") and round_:  # one run: jq takes minutes
                continue
            runs[name].append(measure(argv, stdin))
    results = {
        name: (
            statistics.median(r[0] for r in got),
            max(r[1] for r in got),
            statistics.median(r[2] for r in got),
        )
        for name, got in runs.items()
    }
    for name, (median, peak, cpu) in results.items():
        times = [r[0] for r in runs[name]]
        spread = f"{min(times):.2f}–{max(times):.2f}" if len(times) > 1 else ""
        print(f"{lines:>10,}  {name:<16} {median:8.2f} s  {peak:7.0f} MB  {cpu:8.2f} CPU-s  "
              f"{spread}", flush=True)  # fmt: skip
    return results


def budget(small: dict[str, tuple[float, float, float]]) -> None:
    """What issue 6's 1.5x leaves for the analysis itself, in wall seconds: a streamed read
    of every line costs this much before any analysis, and eelogs' start, catalog and report
    (eelogs on 1,000 lines, less polars' own import, which the read pays too) that much."""
    wall = {name: got[0] for name, got in small.items()}
    allowed = 1.5 * wall["polars read"]
    fixed = wall["eelogs 1k lines"] - wall["import polars"]
    left = allowed - wall["polars streamed"] - fixed
    print(f"\n1.5 x polars read:    {allowed:.2f} s")
    print(f"  streamed read:      {wall['polars streamed']:.2f} s  (no analysis at all)")
    print(f"  eelogs fixed cost:  {fixed:.2f} s  (start, catalog, report)")
    print(f"  left for analysis:  {left:.2f} s  (eelogs spends "
          f"{wall['eelogs (file)'] - wall['polars streamed'] - fixed:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big", action="store_true", help="also run 10M lines")
    parser.add_argument("--no-jq", action="store_true", help="skip jq (its count takes minutes)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="where corpora are built")
    parser.add_argument("--mix", choices=("all", *mixes_run.ORDER),
                        help="issue 19's mixes beside the polars reference instead")
    args = parser.parse_args()
    if args.mix:
        mixes_run.main(args.mix, args.lines, args.rounds, args.big, args.corpus)
        return
    small = run(args.lines, args.rounds, lambda name: not (args.no_jq and name.startswith("jq")),
                args.corpus)
    eelogs = small["eelogs (file)"][0]
    print(f"\neelogs / polars read: {eelogs / small['polars read'][0]:.1f}  (goal ≤ 1.5)")
    cpu = small["eelogs (file)"][2] / small["polars read"][2]
    print(f"  in CPU seconds:      {cpu:.1f}")
    if "jq" in small:
        print(f"jq / eelogs:          {small['jq'][0] / eelogs:.1f}  (goal ≥ 30)")
    print(f"stdin / file:         {small['eelogs (stdin)'][0] / eelogs:.2f}")
    if "eelogs (.zst)" in small:
        print(f".zst / file:          {small['eelogs (.zst)'][0] / eelogs:.2f}  (goal ≤ 1.3)")
    print(f"peak RSS:             {small['eelogs (file)'][1]:.0f} MB")
    budget(small)
    if args.big:
        # the 10M goals are about eelogs alone (jq's reduce would take an hour here)
        big = run(args.lines * 10, 1, lambda name: name == "eelogs (file)", args.corpus)
        print(f"10x lines / 1x time:  {big['eelogs (file)'][0] / eelogs:.1f}  (goal ≤ 11)")
        print(f"10x peak RSS:         {big['eelogs (file)'][1]:.0f} MB  (goal < 300)")


if __name__ == "__main__":
    main()
