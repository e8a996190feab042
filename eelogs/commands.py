"""What each CLI command does, as plain functions (cli.py only parses options)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import click
import orjson

from eelogs import timespec, views
from eelogs.accountrows import account_names
from eelogs.aggregate import Scope
from eelogs.baseline import load_baseline
from eelogs.catalog import SEVERITIES, Catalog, load_catalog
from eelogs.conditions import abandoned_warning
from eelogs.errors import EelogsError
from eelogs.filters import plural
from eelogs.jsonstream import json_pieces
from eelogs.match import Classifier
from eelogs.nightly import add_history, fails_on_new, nightly_options, write_outputs
from eelogs.parse import JOURNAL_TOO_LONG_REASON, Record
from eelogs.pipeline import Analysis, Window, analyze, classify_stream, read_entries
from eelogs.redact import Pseudonyms, scrub
from eelogs.render import Format, expand_output, infer_format, is_gzip_name, render
from eelogs.resume import load_state, lock_state, next_state, plan_inputs, save_state
from eelogs.safetext import json_safe, visible
from eelogs.selftest import check_catalog, findings_in
from eelogs.sources import (
    Input,
    Progress,
    docker_input,
    expand_inputs,
    is_terminal_stdin,
    journal_input,
)
from eelogs.timeorder import in_time_order
from eelogs.writer import check_writable, refuse_inputs, write_output, write_text


def _window(since: str | None, until: str | None, accounts: Sequence[str] = ()) -> Window:
    start = timespec.resolve(since) if since else None
    end = timespec.resolve(until) if until else None
    if start and end and start >= end:
        raise EelogsError(
            f"--since {since} is not before --until {until}", "swap them, or widen the window"
        )
    return Window(
        timespec.to_ms(start) if start else None,
        timespec.to_ms(end) if end else None,
        frozenset(accounts),
    )


def _inputs(
    specs: list[str],
    journals: Sequence[str] = (),
    dockers: Sequence[str] = (),
    window: Window | None = None,
    skipped: list[Path] | None = None,
) -> list[Input]:
    found: list[Input] = []
    since = timespec.journalctl_arg_ms(window.since_ms) if window and window.since_ms else None
    until = timespec.journalctl_arg_ms(window.until_ms) if window and window.until_ms else None
    # dict.fromkeys: each unit or container once, in the order given
    found.extend(journal_input(unit, since, until) for unit in dict.fromkeys(journals))
    found.extend(docker_input(name) for name in dict.fromkeys(dockers))
    if specs or not found:
        if not specs and is_terminal_stdin():
            raise EelogsError(
                "nothing to read: no INPUT given and stdin is a terminal",
                "pipe a log in (journalctl -u emailengine -o cat | eelogs analyze), "
                "pass a file, or use --journal UNIT / --docker NAME",
            )
        skipped = [] if skipped is None else skipped
        found.extend(in_time_order(expand_inputs(specs, skipped)))
        if skipped:
            more = f" and {len(skipped) - 1} more" if len(skipped) > 1 else ""
            click.echo(
                visible(
                    f"eelogs: skipped {len(skipped)} file(s) that are not text logs: "
                    f"{skipped[0]}{more}"
                ),
                err=True,
            )
    return found


def run_analyze(specs: list[str], opts: dict[str, Any]) -> int:
    """`eelogs analyze`: returns the exit code (0, or 1 when --fail-on or --fail-on-new is
    reached)."""
    window = _window(opts["since"], opts["until"], opts["accounts"])
    if opts["templates"] is not None and not opts["templates"].is_dir():
        raise EelogsError(
            f"no templates folder {opts['templates']}",
            "give a folder of report.<format>.j2 files, or drop --templates for the shipped ones",
        )
    quiet_ms = timespec.duration_ms(opts.get("quiet_period") or "1h")
    catalog = load_catalog(list(opts["pattern_dirs"]))
    baseline = _baseline(opts["baseline"])
    edges = {"since": timespec.from_ms(window.since_ms), "until": timespec.from_ms(window.until_ms)}
    # `-o -` is stdout, as for most Unix tools
    target = expand_output(opts["output"], **edges) if opts["output"] not in (None, "-") else None
    fmt = Format(opts["fmt"]) if opts["fmt"] else infer_format(target)
    json_target = expand_output(str(opts["save_json"]), **edges) if opts["save_json"] else None
    for path in (target, json_target):
        if path is not None:
            check_writable(path)
    nightly = nightly_options(opts)
    skipped: list[Path] = []
    inputs = _inputs(specs, opts["journal"], opts["docker"], window, skipped)
    read = [i.path for i in inputs if i.path is not None]
    refuse_inputs(target, read, "--output")
    refuse_inputs(json_target, read, "--save-json")
    empty_folders = _empty_folders(specs, inputs)
    inputs, state, state_lock, reread = _incremental(opts["state_file"], inputs)
    progress: dict[str, Progress] = {}
    analysis = Analysis(
        catalog,
        window,
        Scope(frozenset(opts["providers"]), frozenset(opts["accounts"])),
        baseline,
        str(opts["baseline"] or ""),
        quiet_ms=quiet_ms,
        redact=not opts["no_redact"],
    )
    report = analyze(inputs, analysis, progress)
    report["input"]["skipped_files"] = len(skipped)
    damaged = {name: done.damaged for name, done in progress.items() if done.damaged}
    report["input"]["warnings"] = reread + check_input(
        report, inputs, empty_folders, state is not None, damaged
    )
    for warning in report["input"]["warnings"]:
        click.echo(visible(f"Warning: {warning}"), err=True)
    report = _scrubbed(report, opts["no_redact"], opts["pseudonymize"])
    summary = add_history(report, nightly)
    color = opts["color"]
    if color is None:
        # no-color.org: only a non-empty NO_COLOR turns colour off
        color = target is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    # the terminal's width (COLUMNS first); 80 when it is not a terminal
    width = shutil.get_terminal_size((80, 24)).columns
    view = views.text_view(opts.get("top"), bool(opts.get("failing_only")), width)
    # JSON is written as it is made (millions of account rows are never held at once)
    text = (
        json_pieces(report)
        if fmt is Format.JSON
        else render(report, catalog, fmt, color=bool(color), templates=opts["templates"],
                    view=view)
    )  # fmt: skip
    # colour codes are in the text only when colour is on: written as they are
    write_output(target, text, compress=target is not None and is_gzip_name(target))
    if target is not None:
        click.echo(visible(f"eelogs: wrote {target}"), err=True)
    if json_target is not None:
        write_output(json_target, json_pieces(report), compress=is_gzip_name(json_target))
    if state is not None:  # only now: a failed run must read the same records again
        save_state(opts["state_file"], next_state(state, inputs, progress))
    write_outputs(report, nightly, summary, timespec.now())
    if state_lock is not None:
        state_lock.close()
    click.echo(summary_line(report), err=True)
    reached = opts["fail_on"] and _reaches(report, opts["fail_on"])
    return 1 if reached or fails_on_new(report, nightly) else 0


def _baseline(path: Path | None) -> dict[str, Any] | None:
    baseline = load_baseline(path) if path else None
    if path and baseline is None:
        click.echo(f"Warning: no baseline at {path} yet: every finding counts as new", err=True)
        baseline = {"findings": [], "accounts": []}
    return baseline


def _incremental(
    state_file: Path | None, inputs: list[Input]
) -> tuple[list[Input], dict[str, Any] | None, IO[bytes] | None, list[str]]:
    """With --state: the inputs planned from where the last run stopped, the state, its
    lock (held to the end of the run: a second run on the same state waits, then fails)
    and warnings about files read again from their start."""
    if state_file is None:
        return inputs, None, None, []
    lock = lock_state(state_file)
    state = load_state(state_file)
    reread: list[str] = []
    return plan_inputs(inputs, state, reread), state, lock, reread


def _scrubbed(report: dict[str, Any], no_redact: bool, pseudonymize: bool) -> dict[str, Any]:
    """The report redacted (unless --no-redact) and pseudonymised on request. Every format
    then says what was done, so a --no-redact report never claims to be safe to share."""
    if no_redact:
        click.echo(
            "Warning: --no-redact: tokens, secrets and passwords may appear in this "
            "report; do not share it.",
            err=True,
        )
    # account_names: a table of accounts (accounttable.py) gives its names without its rows
    pseudonyms = Pseudonyms(account_names(report["accounts"])) if pseudonymize else None
    report = scrub(report, not no_redact, pseudonyms)
    report["eelogs"]["redacted"] = not no_redact
    report["eelogs"]["pseudonymized"] = pseudonyms is not None
    return report


def _empty_folders(specs: Sequence[str], inputs: Sequence[Input]) -> list[str]:
    """Folders given as INPUT that held no file to read."""
    paths = [i.path for i in inputs if i.path is not None]
    return [
        spec
        for spec in specs
        if Path(spec).is_dir() and not any(p.is_relative_to(spec) for p in paths)
    ]


def check_input(
    report: dict[str, Any],
    inputs: Sequence[Input],
    empty_folders: Sequence[str],
    incremental: bool,
    damaged: dict[str, str] | None = None,
) -> list[str]:
    """What the input counters say about the run: an error (exit 2) when the input was not
    EmailEngine's log, an --account names no record, or nothing at all was readable, else the
    warnings for stderr and the report. A run that read nothing useful must not look like a
    healthy night."""
    seen = report["input"]
    warnings = [f"the folder {folder} held no log files" for folder in empty_folders]
    warnings += [f"{name}: {why}; what came before the damage was analysed"
                 for name, why in (damaged or {}).items()]  # fmt: skip
    abandoned = seen.get("abandoned_patterns", {})
    warnings += [abandoned_warning(rule, why) for rule, why in abandoned.items()]
    if seen["lines"] == 0 and damaged and len(damaged) == len(inputs):
        raise EelogsError(
            f"nothing was readable: {'; '.join(f'{n}: {w}' for n, w in damaged.items())}",
            "check the archives (gzip -t, zstd -t); a file still being compressed is read "
            "whole on the next run",
        )
    if seen["lines"] == 0:
        if inputs:  # a quiet night with --state is normal: a warning, not an error
            warnings.append(_nothing_read(inputs, incremental))
        return warnings
    if seen["records"] + seen["filtered_out"] == 0:
        raise _not_emailengine(seen, inputs)
    if seen.get("unmatched_accounts"):
        raise _unknown_accounts(seen["unmatched_accounts"])
    if seen["records"] == 0:
        asked = report["eelogs"]["accounts"]
        warnings.append(
            f"none of the {plural(seen['filtered_out'], 'record')} read is inside the time "
            "window (--since/--until)" + (f" for --account {', '.join(asked)}" if asked else "")
        )
    too_long = seen["unparsed_reasons"].get(JOURNAL_TOO_LONG_REASON, 0)
    if too_long:
        warnings.append(
            f"journalctl -o json left out {plural(too_long, 'message')} over 4096 bytes "
            "(printed as null): run journalctl with --all, or -o cat"
        )
    return warnings


def _names(inputs: Sequence[Input]) -> str:
    shown = ", ".join(i.name for i in inputs[:3])
    return shown + (f" and {len(inputs) - 3} more" if len(inputs) > 3 else "")


def _nothing_read(inputs: Sequence[Input], incremental: bool) -> str:
    text = f"no log lines were read from {_names(inputs)}"
    if incremental:
        text += " since the last run (--state)"
    hints = dict.fromkeys(i.hint_on_failure for i in inputs if i.hint_on_failure)
    return "; ".join([text, *hints])


def _not_emailengine(seen: dict[str, Any], inputs: Sequence[Input]) -> EelogsError:
    message = (
        f"no EmailEngine record in {_names(inputs)}: {plural(seen['lines'], 'line')} read, "
        + ("none of them" if seen["lines"] != 1 else "and it is not")
        + " EmailEngine's pino JSON"
    )
    if set(seen["unparsed_reasons"]) == {JOURNAL_TOO_LONG_REASON}:
        return EelogsError(
            message,
            "journalctl -o json printed every message as null (over 4096 bytes): "
            "run journalctl with --all, or with -o cat",
        )
    first = seen["unparsed_samples"][0] if seen["unparsed_samples"] else None
    where = (
        f"line {first['line']} of {first['source']} ({first['reason']})"
        + (f": {first['text'][:60]!r}" if first["text"] else "")
        + "; "
        if first
        else ""
    )
    return EelogsError(
        message,
        f"{where}pass EmailEngine's own log: journalctl -u emailengine -o cat, "
        "docker logs -t CONTAINER, or the file its output is written to",
    )


def _unknown_accounts(unmatched: dict[str, list[str]]) -> EelogsError:
    names = list(unmatched)
    message = (
        f"--account {names[0]} matches no record in the input"
        if len(names) == 1
        else f"no record in the input names --account {', '.join(names)}"
    )
    close = [
        ("" if len(names) == 1 else f"{name}: ") + f"did you mean {' or '.join(near)}?"
        for name, near in unmatched.items()
        if near
    ]
    return EelogsError(
        message,
        "; ".join(close)
        if close
        else "no account name in the input is close; run without --account to see them all",
    )


def _reaches(report: dict[str, Any], threshold: str) -> bool:
    floor = SEVERITIES.index(threshold)
    return any(
        f["open"] and f.get("status") != "resolved" and SEVERITIES.index(f["severity"]) >= floor
        for f in report["findings"]
    )


def summary_line(report: dict[str, Any]) -> str:
    """The one line for logs and alerting that ends every run, on stderr."""
    s, i = report["summary"], report["input"]
    severities = ", ".join(
        f"{s['by_severity'][k]} {k}" for k in reversed(SEVERITIES) if s["by_severity"].get(k)
    )
    parts = [
        plural(i["records"], "record", grouped=False),
        f"{i['unparsed']} unparsed",
        plural(s["open_findings"], "open finding", grouped=False)
        + (f" ({severities})" if severities else ""),
        f"{s['failing_accounts']} of {plural(s['accounts'], 'account', grouped=False)} failing",
    ]
    if "new_since_baseline" in s:
        parts.append(f"{s['new_since_baseline']} new since baseline")
    return "eelogs: " + ", ".join(parts)


def run_classify(
    specs: list[str], since: str | None, until: str | None, pattern_dirs: Sequence[Path]
) -> None:
    window = _window(since, until)
    catalog = load_catalog(list(pattern_dirs))
    out = sys.stdout
    for row in classify_stream(_inputs(specs), catalog, window):
        write_text(out, json_safe(orjson.dumps(scrub(row, True, None)).decode()) + "\n")
    write_text(out, "", flush=True)


def list_patterns(catalog: Catalog, fmt: str) -> str:
    rows = [
        {
            "id": p.id,
            "severity": p.severity,
            "category": p.category,
            "title": p.title,
            "providers": list(p.providers),
            "detector": p.detector,
        }
        for p in catalog.patterns
    ]
    if fmt == "json":
        return json_safe(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode()) + "\n"
    if fmt == "md":
        from eelogs.catalogdoc import catalog_markdown

        return catalog_markdown(catalog)
    width = max(len(p.id) for p in catalog.patterns)
    lines = [
        visible(f"{r['id']:<{width}}  {r['severity']:<8}  {r['category']:<10}  {r['title']}")
        for r in sorted(rows, key=lambda r: (r["category"], r["id"]))
    ]
    return "\n".join(lines) + f"\n{plural(len(rows), 'pattern')}\n"


def show_pattern(catalog: Catalog, pattern_id: str) -> str:
    from eelogs.explain import explain

    pattern = catalog.get(pattern_id)
    if pattern is None:
        import difflib

        close = difflib.get_close_matches(pattern_id, [p.id for p in catalog.patterns], n=1)
        raise EelogsError(
            f"no pattern {pattern_id!r}",
            f"did you mean {close[0]!r}?" if close else "list them with `eelogs patterns list`",
        )
    return explain(pattern, catalog.tables)


def check_patterns(folders: list[Path], corpora: list[Path]) -> int:
    catalog = load_catalog(folders, include_default=not folders) if folders else load_catalog()
    failures = [str(f) for f in check_catalog(catalog)]
    if corpora:
        classifier = Classifier(catalog)
        records = (
            e
            for e in read_entries(expand_inputs([str(c) for c in corpora]))
            if isinstance(e, Record)
        )
        for record, pid in findings_in(classifier, records):
            failures.append(
                f"{pid}: fires on the healthy corpus at {record.source}:"
                f"{record.line}: {record.msg[:80]}"
            )
    examples = sum(len(p.examples) for p in catalog.patterns)
    coverage = None
    if not folders:  # the inventory is about the shipped catalog
        from eelogs.coverage import check_coverage

        coverage = check_coverage(catalog)
        failures.extend(f"inventory: {problem}" for problem in coverage.failures)
    for failure in failures:
        click.echo(f"FAIL {failure}")
    if failures:
        click.echo(
            f"{plural(len(failures), 'problem')} in {plural(len(catalog.patterns), 'pattern')}",
            err=True,
        )
        if coverage is not None:
            click.echo(coverage.summary(), err=True)
        return 1
    click.echo(
        f"ok: {plural(len(catalog.patterns), 'pattern')}, {plural(examples, 'example')}"
        + (f", {plural(len(corpora), 'healthy corpus file')} clean" if corpora else "")
    )
    if coverage is not None:
        click.echo(coverage.summary())
    return 0


def run_watch(
    path: Path | None,
    fmt: str,
    from_start: bool,
    summary_every: float,
    pattern_dirs: Sequence[Path],
) -> None:
    from eelogs.watch import Watcher, open_follower, stdin_lines, stop_on_sigterm

    catalog = load_catalog(list(pattern_dirs))
    if path is not None and path.exists() and not path.is_file():
        raise EelogsError(f"not a file: {path}", "watch follows one file, or stdin")
    if path is None and is_terminal_stdin():
        raise EelogsError(
            "nothing to watch: no INPUT and stdin is a terminal",
            "journalctl -u emailengine -f -o cat | eelogs watch",
        )
    watcher = Watcher(catalog, fmt == "json", summary_every, sys.stdout)
    stop_on_sigterm()
    try:
        if path is None:
            watcher.run(stdin_lines(watcher.tick), "<stdin>")
        else:
            follower = open_follower(path, from_start, watcher.tick)
            watcher.run(follower.lines(watcher.tick), str(path))
    except KeyboardInterrupt:
        pass
    watcher.summary()
