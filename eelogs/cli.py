"""The command line: parse options, call the library, translate errors. Nothing else."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from eelogs import __version__
from eelogs.catalog import SEVERITIES, Catalog, load_catalog
from eelogs.errors import EelogsError
from eelogs.render import Format
from eelogs.safetext import visible
from eelogs.writer import write_output

_SEVERITY = click.Choice(SEVERITIES)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="eelogs")
def cli() -> None:
    """Read EmailEngine's logs and say which accounts fail, why, and what to do.

    \b
    journalctl -u emailengine -o cat | eelogs analyze
    eelogs analyze --journal emailengine --since yesterday -o report.html
    eelogs analyze ee.log --account sales-o365 --format md -o ticket.md
    """


def _window_options(func: Any) -> Any:
    func = click.option("--until", metavar="TIME", help="Only records before TIME.")(func)
    func = click.option(
        "--since",
        metavar="TIME",
        help="Only records from TIME: ISO 8601, epoch, yesterday, today, -6h, -30m, -7d.",
    )(func)
    return func


def _patterns_option(func: Any) -> Any:
    return click.option(
        "--patterns",
        "pattern_dirs",
        multiple=True,
        metavar="DIR",
        type=click.Path(path_type=Path),
        help="Extra catalog folder (repeatable), same schema as patterns/.",
    )(func)


@cli.command()
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@click.option(
    "--journal",
    multiple=True,
    metavar="UNIT",
    help="Read `journalctl -u UNIT -o json` (repeatable).",
)
@click.option(
    "--docker",
    multiple=True,
    metavar="CONTAINER",
    help="Read `docker logs --timestamps CONTAINER` (repeatable).",
)
@_window_options
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="ID",
    help="Only this account (repeatable): a report for a support ticket.",
)
@click.option(
    "--provider",
    "providers",
    multiple=True,
    metavar="NAME",
    type=click.Choice(["gmail", "outlook", "yahoo", "icloud", "other", "unknown"]),
    help="Only accounts at this provider (repeatable).",
)
@_patterns_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in Format]),
    help="Report format [default: from --output's suffix, else text].",
)
@click.option(
    "-o",
    "--output",
    metavar="PATH",
    help="Write the report here (- is stdout); its suffix picks the format, a final .gz "
    "compresses it. "
    "strftime codes expand at the run's time (reports/%Y-%m-%d.html), {since:%Y-%m-%d} and "
    "{until:…} at the window's start and end.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    metavar="PREVIOUS.json",
    help="Mark findings and accounts new / ongoing / resolved against a JSON report.",
)
@click.option(
    "--save-json",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Also write the JSON report here (the next run's --baseline).",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Remember where this run stopped; the next run starts there (files, journald).",
)
@click.option(
    "--fail-on",
    type=_SEVERITY,
    metavar="SEVERITY",
    help="Exit 1 if an open finding is at or above: info, low, medium, high, critical.",
)
@click.option(
    "--fail-on-new",
    type=_SEVERITY,
    metavar="SEVERITY",
    help="Exit 1 only if a finding at or above SEVERITY is new since --baseline (needs it).",
)
@click.option(
    "--history",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Keep a small summary of each run in DIR and show each finding's trend by night.",
)
@click.option(
    "--history-days",
    type=click.IntRange(min=1),
    metavar="N",
    help="Keep the summaries of the last N days in --history [default: 30].",
)
@click.option(
    "--metrics",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Write Prometheus metrics here (node_exporter textfile collector: *.prom).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    metavar="N",
    help="Text report: show only the N worst open findings, and how many more there are.",
)
@click.option(
    "--failing-only",
    is_flag=True,
    help="Text report: only failing accounts and the findings about them.",
)
@click.option(
    "--quiet-period",
    metavar="DURATION",
    default="1h",
    show_default=True,
    help="An account-less finding (Redis, workers, licence) not seen for this long before the "
    "input ends is over: 30m, 2h.",
)
@click.option(
    "--no-redact", is_flag=True, help="Keep secrets in the report (redaction is on by default)."
)
@click.option(
    "--pseudonymize",
    is_flag=True,
    help="Replace email addresses and account ids with stable pseudonyms.",
)
@click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Use your own report templates (report.<format>.j2) before the shipped ones.",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the text report [default: on a terminal, unless NO_COLOR is set].",
)
def analyze(inputs: tuple[str, ...], **options: Any) -> None:
    """Analyze logs and write a report of what fails, for whom, since when, and the fix.

    INPUT is a file, glob, folder or - (stdin, the default). Raw pino lines, journalctl
    (cat, short, short-iso, json), docker logs, Docker json-file, EmailEngine's per-account
    log download and pretty-printed JSON are recognised; .gz and .zst are read directly.
    """
    from eelogs import commands

    code = commands.run_analyze(list(inputs), options)
    sys.exit(code)


@cli.command()
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@_window_options
@_patterns_option
def classify(
    inputs: tuple[str, ...], since: str | None, until: str | None, pattern_dirs: tuple[Path, ...]
) -> None:
    """Print one JSON object per input record: which pattern it matched, if any."""
    from eelogs import commands

    commands.run_classify(list(inputs), since, until, pattern_dirs)


@cli.command()
@click.argument(
    "path", required=False, type=click.Path(path_type=Path, dir_okay=False), metavar="[INPUT]"
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per line (JSON Lines).",
)
@click.option("--from-start", is_flag=True, help="Read the file from its start, not its end.")
@click.option(
    "--summary-every",
    type=float,
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    callback=lambda _ctx, _param, value: _positive_seconds(value),
    help="Print a one-line summary this often (more than 0).",
)
@_patterns_option
def watch(
    path: Path | None,
    fmt: str,
    from_start: bool,
    summary_every: float,
    pattern_dirs: tuple[Path, ...],
) -> None:
    """Follow a growing log file (or stdin) and print each new problem once.

    \b
    eelogs watch /var/log/emailengine.log
    journalctl -u emailengine -f -o cat | eelogs watch
    """
    from eelogs import commands

    commands.run_watch(path, fmt, from_start, summary_every, pattern_dirs)


def _positive_seconds(value: float) -> float:
    if not value > 0:  # also refuses nan; 0 would print a summary after every line
        raise EelogsError(
            f"--summary-every must be more than 0 seconds, not {value:g}",
            "give the seconds between summaries, e.g. 60 (the default), or 3600 for one an hour",
        )
    return value


@cli.group()
def patterns() -> None:
    """List, explain and check the pattern catalog."""


@patterns.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "md"]), default="text", show_default=True
)
@_patterns_option
def patterns_list(fmt: str, pattern_dirs: tuple[Path, ...]) -> None:
    """List every pattern: id, severity, category, title."""
    from eelogs import commands

    write_output(None, commands.list_patterns(_catalog(pattern_dirs), fmt))


@patterns.command("show")
@click.argument("pattern_id", metavar="ID")
@_patterns_option
def patterns_show(pattern_id: str, pattern_dirs: tuple[Path, ...]) -> None:
    """What / why / fix / provider notes / references / examples of one pattern."""
    from eelogs import commands

    write_output(None, commands.show_pattern(_catalog(pattern_dirs), pattern_id))


@patterns.command("check")
@click.argument("folders", nargs=-1, type=click.Path(path_type=Path), metavar="[DIR]...")
@click.option(
    "--corpus",
    type=click.Path(path_type=Path, exists=True),
    multiple=True,
    help="A healthy log that must produce no findings (repeatable).",
)
def patterns_check(folders: tuple[Path, ...], corpus: tuple[Path, ...]) -> None:
    """Validate a catalog and run its embedded examples (the shipped one by default)."""
    from eelogs import commands

    sys.exit(commands.check_patterns(list(folders), list(corpus)))


def _catalog(extra: tuple[Path, ...]) -> Catalog:
    return load_catalog(list(extra))


def _fail(message: str, hint: str | None) -> NoReturn:
    # messages can name accounts and files from the input: shown, never acted on
    click.echo(visible(f"Error: {message}"), err=True)
    if hint:
        click.echo(visible(f"Hint: {hint}"), err=True)
    sys.exit(2)


def main() -> None:
    """Entry point: library errors become `Error:`/`Hint:` and exit 2, never a traceback."""
    # A reader that goes away (`| head`) ends the run quietly with 141, as for other Unix
    # tools: click would turn the broken pipe into exit 1, which --fail-on uses.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        cli(standalone_mode=False, prog_name="eelogs")  # also as `python -m eelogs`
    except EelogsError as exc:
        _fail(exc.message, exc.hint)
    except click.exceptions.Abort:  # click's form of Ctrl-C
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # `eelogs … | head`: the reader left; say nothing and stop with 128 + SIGPIPE, as
        # other Unix tools do, so --fail-on's exit 1 is never mistaken for it
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)
