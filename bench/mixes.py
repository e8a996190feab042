#!/usr/bin/env python3
"""Write the benchmark's three corpora: the bench corpus, a trace-level mix, a failure-heavy mix.

    python bench/mixes.py --mix trace --lines 1000000 -o trace.log
    python bench/mixes.py --mix failure --lines 10000000 -o failure.log   # streamed, 3+ GB

- bench: sample_logs/generate.py's corpus (healthy chatter, a problem scenario an hour).
- trace: what EmailEngine's default level (trace) writes: about 70% IMAP protocol lines at
  debug and trace (unique tags, UIDs, MODSEQs), the rest info and debug chatter (locks, IDLE,
  new mail, webhooks, API requests), and about 0.3% warnings and errors, in bursts.
- failure: at least 5% problem lines (tests/accuracy/lines.jsonl replayed with other accounts,
  times and ids), and every kind of record frequent: protocol lines, full hapi-pino request
  records, OAuth2 token requests, nodemailer transactions, worker restarts with the API
  configuration dump, and odd shapes (numeric keys, an empty msg).

Accounts are visited in turns (a fresh shuffle each round), so every one of `--accounts`
appears once the corpus is a few lines per account long. The output is deterministic for a
seed and written as it is made, so 10M lines need no more memory than 1,000.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "sample_logs"))

import mix_failures as failures  # noqa: E402
import mix_records as records  # noqa: E402
from mix_records import Mailbox, Stream  # noqa: E402

MIXES = ("bench", "trace", "failure")
START_MS = 1795420800000  # where the sample day starts
# bursts of warnings and errors in the trace mix: the contexts an IMAP account runs into
TRACE_TROUBLE = ("imap-connect", "imap-session", "imap-auth", "oauth-refresh")


@dataclass
class Mix:
    """What the units of a mix share: the stream, counters and the problem lines."""

    stream: Stream
    problems: list[failures.Problem]
    job: int = 48000
    request: int = 10000

    def next_job(self) -> int:
        self.job += 1
        return self.job


def mailboxes(rng: random.Random, count: int) -> list[Mailbox]:
    """The account pool of sample_logs (ids, providers, threads), with IMAP counters."""
    from scenarios import make_accounts

    out = []
    for account in make_accounts(rng, count):
        exists = rng.randint(50, 40000)
        out.append(Mailbox(account.id, account.cid, account.tid, account.user, account.spec,
                           exists=exists, uidnext=exists + rng.randint(1, 90000),
                           modseq=rng.randint(10**5, 10**7)))
    return out


def rotation(rng: random.Random, pool: list[Mailbox]) -> Iterator[Mailbox]:
    while True:
        order = pool[:]
        rng.shuffle(order)
        yield from order


def activity(mix: Mix, mb: Mailbox) -> None:
    """One account's next piece of ordinary work at trace level."""
    s, rng = mix.stream, mix.stream.rng
    if mb.spec["host"] is None:
        for _ in range(rng.randint(1, 3)):
            records.api_poll(s, mb)
        records.notify(s, mb.id, mix.next_job())
    elif not mb.connected:
        records.login(s, mb, hour=(s.t - START_MS) // 3_600_000)
    elif rng.random() < 0.02:  # providers drop idle sessions now and then
        records.imap_note(s, mb, 20, "Connection closed", ("unknownTagCount", 0))
        records.imap_note(s, mb, 30, "Connection closed", ("type", "imapClient"),
                          ("account", mb.id), ("disabled", False))
        mb.connected = False
    else:
        for _ in range(rng.choice((1, 1, 2))):
            records.change_cycle(s, mb)
        records.notify(s, mb.id, mix.next_job())
    if rng.random() < 0.15:
        mix.request += 1
        records.http_response(s, mb.id, mix.request)


def burst(mix: Mix, mb: Mailbox, contexts: tuple[str, ...] | None, size: int) -> None:
    """A few problem lines of one kind about one account, as a failure repeats."""
    rng = mix.stream.rng
    chosen = [p for p in mix.problems if contexts is None or p.context in contexts]
    context = rng.choice(chosen).context
    same = [p for p in chosen if p.context == context]
    for _ in range(size):
        failures.replay(mix.stream, rng.choice(same), mb, mix.next_job())


def trace_unit(mix: Mix, mb: Mailbox) -> None:
    activity(mix, mb)
    # about 0.3% of lines: a burst brings some five warnings and errors, so one is due
    # after every 1,500 or so lines of ordinary work
    if mix.stream.rng.random() < len(mix.stream.lines) / 1500:
        burst(mix, mb, TRACE_TROUBLE, mix.stream.rng.randint(3, 8))


def failure_unit(mix: Mix, mb: Mailbox) -> None:
    s, rng = mix.stream, mix.stream.rng
    roll = rng.random()
    if roll < 0.30:
        activity(mix, mb)
    elif roll < 0.60:
        for _ in range(rng.randint(4, 12)):
            mix.request += 1
            records.http_response(s, mb.id, mix.request)
    elif roll < 0.72 and mb.spec["auth"] != "password":
        failures.token_refresh(s, mb)
    elif roll < 0.85:
        failures.send(s, mb)
    elif roll < 0.92:
        failures.odd_shapes(s, mb)
    elif roll < 0.96:
        failures.api_restart(s)
    else:
        failures.imap_restart(s, rng.randint(400, 1300), rng.choice((2, 3, 4, 5)))
    # problems in proportion to the lines written, whatever the unit was: a burst of some
    # three lines every 25 lines makes about 8% of lines warnings and errors
    due = len(s.lines) / 25
    for _ in range(int(due) + (rng.random() < due % 1)):
        burst(mix, mb, None, rng.randint(1, 5))


def generated(kind: str, lines: int, accounts: int, seed: int) -> Iterator[str]:
    """`lines` lines of the trace or failure mix, unit after unit."""
    rng = random.Random(seed)
    mix = Mix(Stream(rng, START_MS), failures.load_problems())
    unit: Callable[[Mix, Mailbox], None] = trace_unit if kind == "trace" else failure_unit
    turns = rotation(rng, mailboxes(rng, accounts))
    failures.startup(mix.stream)
    written = 0
    while written < lines:
        unit(mix, next(turns))
        yield from mix.stream.lines[: lines - written]
        written += min(len(mix.stream.lines), lines - written)
        mix.stream.lines.clear()


def corpus(kind: str, lines: int, accounts: int = 5000, seed: int = 7) -> Iterator[str]:
    if kind == "bench":
        import generate

        bench: Iterator[str] = generate.corpus(lines, accounts, seed)
        return bench
    return generated(kind, lines, accounts, seed)


def write(kind: str, lines: int, path: Path, accounts: int = 5000, seed: int = 7) -> None:
    """Write a corpus through a temporary name, so a stopped run leaves no half corpus that
    the bench would take for a finished one."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8", newline="\n") as out:
        for line in corpus(kind, lines, accounts, seed):
            out.write(line + "\n")
    partial.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mix", choices=MIXES, required=True)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--output", type=Path, help="corpus file (default: stdout)")
    args = parser.parse_args()
    if args.output:
        write(args.mix, args.lines, args.output, args.accounts, args.seed)
        return
    for line in corpus(args.mix, args.lines, args.accounts, args.seed):
        sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
