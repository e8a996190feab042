"""What a nightly job adds to a run: --fail-on-new, --history and --metrics.

commands.run_analyze calls these at three points: before the analysis (the options are
checked, so a broken job fails at once and not after an hour of reading), before the report
is rendered (tonight's trend joins the findings) and after the report was written (the
summary and the metrics file, so a failed run never leaves a summary of a night without its
report, and the metrics' last-run time stops moving when the job is broken).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from eelogs.baseline import new_at_or_above
from eelogs.errors import EelogsError
from eelogs.history import DEFAULT_DAYS, add_trends, load_history, save_summary, summarize
from eelogs.metrics import exposition
from eelogs.render import check_writable, write_atomic


@dataclass(frozen=True)
class Nightly:
    fail_on_new: str | None = None
    history: Path | None = None
    history_days: int = DEFAULT_DAYS
    metrics: Path | None = None


def nightly_options(opts: dict[str, Any]) -> Nightly:
    """The nightly options, checked: a usage error is raised before anything is read."""
    nightly = Nightly(
        opts.get("fail_on_new"),
        opts.get("history"),
        opts.get("history_days") or DEFAULT_DAYS,
        opts.get("metrics"),
    )
    if nightly.fail_on_new and not opts.get("baseline"):
        raise EelogsError(
            "--fail-on-new needs --baseline: a finding is new only against an earlier report",
            "add --baseline latest.json --save-json latest.json (on the first night, with no "
            "file yet, every finding counts as new), or use --fail-on for any open finding",
        )
    if opts.get("history_days") is not None and nightly.history is None:
        raise EelogsError("--history-days needs --history DIR", "add --history DIR")
    if nightly.history is not None:
        _check_history(nightly.history, opts)
    if nightly.metrics is not None:
        check_writable(nightly.metrics)
        if nightly.metrics.suffix != ".prom":
            click.echo(
                f"Warning: node_exporter's textfile collector reads only *.prom files, "
                f"not {nightly.metrics.name}",
                err=True,
            )
    return nightly


def _check_history(folder: Path, opts: dict[str, Any]) -> None:
    if opts.get("accounts") or opts.get("providers"):
        raise EelogsError(
            "--history keeps the trend of the whole instance; --account or --provider would "
            "file a part of it as a whole night",
            "drop --history from ticket reports, or drop --account/--provider",
        )
    if folder.exists() and not folder.is_dir():
        raise EelogsError(f"--history {folder} is not a folder", "give a folder for the summaries")
    check_writable(folder / "summary")


def add_history(report: dict[str, Any], nightly: Nightly) -> dict[str, Any] | None:
    """Tonight's summary, and each finding's trend over the stored nights and tonight."""
    if nightly.history is None:
        return None
    summary = summarize(report)
    history = load_history(nightly.history, nightly.history_days, summary)
    for name in history.unreadable:
        click.echo(f"Warning: {nightly.history / name} is no eelogs summary; left out", err=True)
    add_trends(report, history)
    return summary


def write_outputs(
    report: dict[str, Any], nightly: Nightly, summary: dict[str, Any] | None, run_time: datetime
) -> None:
    """After the report: tonight's summary (and the pruning of old ones), then the metrics."""
    if nightly.history is not None and summary is not None:
        removed = save_summary(nightly.history, summary, nightly.history_days)
        if removed:
            click.echo(
                f"eelogs: removed {len(removed)} summaries older than "
                f"{nightly.history_days} days from {nightly.history}",
                err=True,
            )
    if nightly.metrics is not None:
        write_atomic(nightly.metrics, exposition(report, run_time))


def fails_on_new(report: dict[str, Any], nightly: Nightly) -> bool:
    return bool(nightly.fail_on_new) and new_at_or_above(report, str(nightly.fail_on_new))
