"""The command line: parse options, call the library, translate errors. Nothing else."""

from __future__ import annotations

import sys
from collections import Counter

import click
import orjson

from eelogs import __version__
from eelogs.errors import EelogsError
from eelogs.parse import Record, Unparsed
from eelogs.pipeline import read_entries
from eelogs.sources import expand_inputs


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="eelogs")
def cli() -> None:
    """Read EmailEngine's logs and say which accounts fail, why, and what to do."""


@cli.command()
@click.argument("inputs", nargs=-1)
def analyze(inputs: tuple[str, ...]) -> None:
    """Analyze logs and write a report."""
    counts: Counter[str] = Counter()
    records = unparsed = 0
    accounts: set[str] = set()
    for entry in read_entries(expand_inputs(list(inputs))):
        if isinstance(entry, Unparsed):
            unparsed += 1
            continue
        assert isinstance(entry, Record)
        records += 1
        if entry.account:
            accounts.add(entry.account)
        if entry.level >= 40:
            counts[entry.msg] += 1
    out = {"input": {"records": records, "unparsed": unparsed}, "accounts": sorted(accounts),
           "messages": dict(counts.most_common())}
    sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")


def main() -> None:
    try:
        cli(standalone_mode=True)
    except EelogsError as exc:  # pragma: no cover - replaced below
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(2)
