#!/usr/bin/env python3
"""Write eelogs' sample logs: one realistic EmailEngine day, in every framing.

    python sample_logs/generate.py                 # rewrite sample_logs/ (deterministic)
    python sample_logs/generate.py --lines 1000000 --accounts 5000 -o big.log   # a corpus

Lines follow the shapes in shared/research/emailengine-logs.md: pino key order, duplicate
`component`/`account`/`cid` keys, imapflow's `{err, cid}` records with `msg` last, and the
two or three lines EmailEngine writes for one failure. Every planted problem line is listed in
tests/fixtures/sample_expected.json with the catalog id it must be classified as.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import problems  # noqa: E402,F401 - registers every problem scenario
from scenarios import PROBLEMS, Account, Writer, healthy_round, make_accounts  # noqa: E402

HERE = Path(__file__).resolve().parent
START_MS = 1795420800000  # 2026-11-22T00:00:00Z
HOST = "ee-prod-01"


@dataclass
class Sample:
    lines: list[str] = field(default_factory=list)
    expected: list[str | None] = field(default_factory=list)
    times: list[int] = field(default_factory=list)


def build_sample(seed: int = 7) -> Sample:
    """One day: startup, healthy chatter for every account, and every problem scenario."""
    writer = Writer(random.Random(seed), START_MS, HOST)
    accounts = make_accounts(writer.rng, 24)
    writer.startup("2.79.2")
    problems = list(PROBLEMS)
    for hour in range(24):
        writer.t = max(writer.t, START_MS + hour * 3_600_000)
        for account in accounts:
            healthy_round(writer, account, hour)
            writer.advance(20_000, 90_000)
        for name, scenario in problems[hour::24]:
            scenario(writer, name)
    sample = Sample()
    for line, expect, time_ms in writer.out:
        sample.lines.append(line)
        sample.expected.append(expect)
        sample.times.append(time_ms)
    return sample


def corpus(lines: int, accounts: int, seed: int) -> Iterator[str]:
    """Endless healthy chatter for many accounts with problems sprinkled in (benchmarks)."""
    rng = random.Random(seed)
    writer = Writer(rng, START_MS, HOST)
    pool: list[Account] = make_accounts(rng, accounts)
    problems = list(PROBLEMS)

    def hour(_n: int) -> None:
        for account in rng.sample(pool, min(len(pool), 200)):
            healthy_round(writer, account, _n)
        name, scenario = problems[rng.randrange(len(problems))]
        scenario(writer, name)

    return _drain(writer, lines, hour)


def healthy(lines: int, seed: int) -> Iterator[str]:
    """A healthy instance: startup, logins, IDLE, API calls, token renewals, sends, and
    nothing else. The catalog must find nothing in it."""
    rng = random.Random(seed)
    writer = Writer(rng, START_MS, HOST)
    pool = make_accounts(rng, 60)

    def hour(n: int) -> None:
        writer.t = max(writer.t, START_MS + n * 3_600_000)
        for account in pool:
            healthy_round(writer, account, n)

    return _drain(writer, lines, hour)


def _drain(writer: Writer, lines: int, hour: Callable[[int], None]) -> Iterator[str]:
    """Startup, then hour after hour of log, until `lines` lines were yielded."""
    writer.startup("2.79.2")
    written, n = 0, 0
    while written < lines:
        hour(n)
        n += 1
        for line, _expect, _t in writer.out:
            if written >= lines:
                break
            yield line
            written += 1
        writer.out.clear()


def write_framings(sample: Sample, folder: Path) -> None:
    """The same log as journalctl -o short / short-iso / json, docker -t, compose, json-file."""
    from framings import (
        compose_lines,
        docker_json_lines,
        docker_ts_lines,
        journal_json_lines,
        journal_short_iso_lines,
        journal_short_lines,
        per_account_lines,
    )

    folder.mkdir(parents=True, exist_ok=True)
    pairs = list(zip(sample.lines, sample.times, strict=True))
    _write(folder / "journal-short.log", journal_short_lines(pairs, HOST))
    _write(folder / "journal-short-iso.log", journal_short_iso_lines(pairs, HOST))
    _write(folder / "docker-ts.log", docker_ts_lines(pairs))
    _write(folder / "compose.log", compose_lines(pairs))
    with gzip.GzipFile(folder / "docker-json.log.gz", "wb", mtime=0) as handle:
        handle.write("".join(f"{line}\n" for line in docker_json_lines(pairs)).encode())
    journal = "".join(f"{line}\n" for line in journal_json_lines(pairs, HOST)).encode()
    (folder / "journal.json.zst").write_bytes(_zstd(journal))
    _write(folder / "logs.billing.txt", per_account_lines(sample.lines, "billing"))


def _zstd(data: bytes) -> bytes:
    import zstandard  # a dependency of eelogs on Python < 3.14

    return zstandard.ZstdCompressor(level=10).compress(data)


def _write(path: Path, lines: Iterator[str] | list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for line in lines:
            handle.write(line + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, help="write a benchmark corpus of this many lines")
    parser.add_argument("--healthy", type=int, metavar="LINES",
                        help="write a healthy-instance corpus of this many lines")
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--output", type=Path, help="corpus file (default: stdout)")
    args = parser.parse_args()
    if args.lines or args.healthy:
        lines = (corpus(args.lines, args.accounts, args.seed) if args.lines else
                 healthy(args.healthy, args.seed))
        if args.output and args.output.suffix == ".gz":
            with gzip.GzipFile(args.output, "wb", mtime=0) as handle:
                handle.write("".join(f"{line}\n" for line in lines).encode())
            return
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
        for line in lines:
            out.write(line + "\n")
        if args.output:
            out.close()
        return
    sample = build_sample(args.seed)
    _write(HERE / "emailengine.log", sample.lines)
    write_framings(sample, HERE / "framings")
    expected = {str(n): pattern for n, pattern in enumerate(sample.expected, 1) if pattern}
    fixture = HERE.parent / "tests" / "fixtures" / "sample_expected.json"
    fixture.parent.mkdir(parents=True, exist_ok=True)
    fixture.write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(sample.lines)} lines, {len(expected)} planted problem lines")


if __name__ == "__main__":
    main()
