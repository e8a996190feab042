"""Turn a report (plain rows) into text, Markdown, HTML or JSON (eelogs.writer writes it)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eelogs import timespec, views
from eelogs.catalog import SEVERITIES, Catalog
from eelogs.errors import OutputError
from eelogs.jsonstream import json_pieces
from eelogs.resources import data_dir
from eelogs.safetext import finalize, html_finalize

# the writer is eelogs.writer; resume.py, nightly.py and history.py import it from here
from eelogs.writer import check_writable as check_writable
from eelogs.writer import write_atomic as write_atomic

if TYPE_CHECKING:
    import jinja2


_PLAIN_ID = re.compile(r"[\w.@+-]{1,200}")


class Format(StrEnum):
    TEXT = "text"
    MD = "md"
    HTML = "html"
    JSON = "json"


_SUFFIXES = {
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".md": Format.MD,
    ".markdown": Format.MD,
    ".json": Format.JSON,
    ".txt": Format.TEXT,
}


def infer_format(output: str | Path | None) -> Format:
    """--format's default: from --output's suffix (a final .gz aside), else text.

    An unknown suffix is an error: `-o r.pdf` would otherwise get text under a name that
    promises something else. A name without a suffix gets text.
    """
    if not output:
        return Format.TEXT
    name = Path(output)
    inner = name.with_suffix("") if is_gzip_name(name) else name
    suffix = inner.suffix.lower()
    if not suffix:
        return Format.TEXT
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    known = ", ".join(_SUFFIXES)
    raise OutputError(
        f"cannot tell the report format from the suffix {suffix} of {name.name}",
        f"end --output with {known} (and .gz to compress), or give --format text|md|html|json",
    )


def is_gzip_name(path: Path) -> bool:
    """A report named *.gz is written gzip-compressed."""
    return path.suffix.lower() == ".gz"


def render(
    report: dict[str, Any],
    catalog: Catalog,
    fmt: Format,
    *,
    color: bool = False,
    templates: Path | None = None,
    view: dict[str, Any] | None = None,
) -> str:
    if fmt is Format.JSON:
        return "".join(json_pieces(report))  # commands.py writes the pieces as they come
    import jinja2  # here: a JSON report (cron, scripts) does without its import time

    env = _environment(templates, fmt)
    try:
        template = env.get_template(f"report.{fmt.value}.j2")
    except jinja2.TemplateError as exc:
        raise OutputError(
            f"cannot load the {fmt.value} report template: {exc}",
            "templates are named report.<format>.j2 (see reports/)",
        ) from exc
    try:
        context = _context(report, catalog, fmt, color, view)
        if fmt is Format.MD:
            return _fitted_markdown(template, context)
        if fmt is Format.TEXT:
            return views.fit_width(template.render(**context), context["view"]["width"])
        return template.render(**context)
    # a report the views cannot read (a damaged --baseline merged into it) fails like a
    # template would: an error for the user, not a traceback
    except (jinja2.TemplateError, KeyError, TypeError) as exc:
        where = getattr(exc, "filename", None) or template.filename
        hint = (
            "fix the template, or drop --templates to use the shipped ones"
            if templates is not None
            else "the shipped template failed on this report: please report it as a bug, "
            "with the command line (a --baseline file it read may hold what it failed on)"
        )
        raise OutputError(f"report template {where} failed: {exc}", hint) from exc


def _context(
    report: dict[str, Any], catalog: Catalog, fmt: Format, color: bool,
    view: dict[str, Any] | None,
) -> dict[str, Any]:  # fmt: skip
    """What the templates read besides the report."""
    context: dict[str, Any] = {
        "report": report,
        "docs": _docs(report, catalog),
        "color": color,
        "severities": SEVERITIES,
        "tickets": views.tickets(report),
        "catalog_size": len(catalog.patterns),
        "shown": views.counted_findings(report),
        "failing": views.failing_first(report["accounts"]),
        "healthy": views.healthy_by_provider(report["accounts"]),
        "next_commands": views.next_commands(report),
        "view": view or views.text_view(None, False, None),
    }
    if fmt is Format.HTML:
        from eelogs import htmlview

        context.update(htmlview.context(report, catalog))
    return context


def _fitted_markdown(template: jinja2.Template, context: dict[str, Any]) -> str:
    """The most complete rendering that fits a GitHub issue body (views.MD_LEVELS)."""
    text = ""
    for limits in views.MD_LEVELS:
        text = template.render(**context, limits=limits)
        if len(text) <= views.MD_BUDGET:
            break
    return text


def _environment(templates: Path | None, fmt: Format) -> jinja2.Environment:
    import jinja2

    folders = [str(templates)] if templates else []
    folders.append(str(data_dir("reports")))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=jinja2.select_autoescape(["html.j2", "html"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # every `{{ … }}` passes here: the format's own safety net for data (safetext)
        finalize=html_finalize if fmt is Format.HTML else finalize,
    )
    from eelogs import filters

    env.filters.update(filters.FILTERS)
    env.globals.update(filters.GLOBALS)
    return env


def _docs(report: dict[str, Any], catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Docs of the patterns in the report, with `{account}` filled in where it is one."""
    out = {}
    for finding in report["findings"]:
        pattern = catalog.get(finding["pattern"])
        if pattern is None:
            continue
        accounts = finding.get("open_accounts") or finding.get("accounts") or []
        # an account id goes into the fix's Markdown as it is: only plain ids, so that log
        # text can never turn into a link or leave a code span there
        plain = len(accounts) == 1 and _PLAIN_ID.fullmatch(accounts[0])
        account = accounts[0] if plain else "<account>"
        docs = dict(pattern.docs)
        docs["fix"] = str(docs["fix"]).replace("{account}", account).strip()
        docs["context_notes"] = _context_notes(finding, pattern.docs, catalog)
        out[pattern.id] = docs
    return out


def _context_notes(
    finding: dict[str, Any], docs: dict[str, Any], catalog: Catalog
) -> list[tuple[str, str]]:
    """The pattern's remedy notes for the operations this finding was seen in."""
    notes = docs.get("contexts") or {}
    seen = (finding.get("fields") or {}).get("context") or []
    return [(catalog.tables.context_title(c), str(notes[c])) for c in seen if c in notes]


# {since:%Y-%m-%d} / {until:…} in -o and --save-json: the window's edges, not the run's moment
_WINDOW_CODE = re.compile(r"\{(since|until)(?::([^{}]*))?\}")


def expand_output(
    path: str,
    now: datetime | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Path:
    """strftime codes in -o expand at the run's moment: reports/%Y-%m-%d.html →
    reports/2026-11-24.html. `{since:%Y-%m-%d}` and `{until:…}` expand at the window's start
    and end instead (local time), so a `--since yesterday` report can carry yesterday's date;
    plain codes keep meaning the run's moment, so existing file names stay as they were."""
    moment = now or timespec.now().astimezone()
    edges = {"since": since, "until": until}
    parts, done = [], 0
    for code in _WINDOW_CODE.finditer(path):
        edge = edges[code[1]]
        if edge is None:
            raise OutputError(
                f"{path} names the window's {code[1]}, but there is no --{code[1]}",
                f"add --{code[1]} TIME, or use plain strftime codes (%Y-%m-%d) for the run's date",
            )
        parts.append(moment.strftime(path[done : code.start()]))
        parts.append(edge.astimezone().strftime(code[2] or "%Y-%m-%d"))
        done = code.end()
    parts.append(moment.strftime(path[done:]))
    return Path("".join(parts))
