"""--history DIR: one small summary per run, and each finding's trend across the nights.

A nightly job keeps one file per analysed window, named after the window's end, so running
the same night again replaces its summary instead of counting it twice. The folder is
bounded: summaries more than --history-days older than the newest one are removed (only
files with our own name pattern; anything else in the folder is left alone). A summary holds
counts only, never an account name, so the folder needs no redaction and stays a few KB a
night however many accounts fail.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from eelogs.accountrows import failing_rows
from eelogs.errors import OutputError
from eelogs.render import write_atomic

KIND = "eelogs-night-summary"
DEFAULT_DAYS = 30
# A trend longer than this is cut to its most recent points: a --state job every 15 minutes
# keeps thousands of summaries, and no report needs each of them on one line.
MAX_POINTS = 60
_NAME = re.compile(r"^eelogs-night-(\d{8}T\d{6}\.\d{3}Z)\.json$")
_NAME_TIME = "%Y%m%dT%H%M%S"


@dataclass(frozen=True)
class History:
    """The summaries read from DIR that tonight's trend is drawn from, oldest first."""

    folder: Path
    days: int
    nights: list[dict[str, Any]]
    unreadable: list[str]


def night_of(report: dict[str, Any]) -> str:
    """The moment a run's summary is filed under: the window's end (--until), else the last
    record read, else the run's own time (a quiet night with no record and no --until)."""
    return str(
        report["eelogs"]["window"].get("until")
        or report["input"].get("last")
        or report["eelogs"]["generated"]
    )


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """The few numbers a later night's trend needs from this run: counts, no names."""
    failing = Counter((a["state"], a["provider"]) for a in failing_rows(report["accounts"]))
    return {
        "kind": KIND,
        "version": 1,
        "eelogs": report["eelogs"]["version"],
        "generated": report["eelogs"]["generated"],
        "night": night_of(report),
        "window": {
            "since": report["eelogs"]["window"].get("since"),
            "until": report["eelogs"]["window"].get("until"),
            "first": report["input"].get("first"),
            "last": report["input"].get("last"),
        },
        "records": report["input"]["records"],
        "unparsed": report["input"]["unparsed"],
        "findings": {
            f["pattern"]: {
                "severity": f["severity"],
                "count": f["count"],
                "accounts": len(f.get("accounts") or []),
                "open": bool(f.get("open")),
            }
            for f in report["findings"]
            if f.get("count")  # a finding carried over from the baseline alone has none
        },
        "failing_accounts": [
            {"state": state, "provider": provider, "count": n}
            for (state, provider), n in sorted(failing.items())
        ],
    }


def file_name(night: str) -> str:
    moment = _moment(night)
    return f"eelogs-night-{moment:{_NAME_TIME}}.{moment.microsecond // 1000:03d}Z.json"


def load_history(folder: Path, days: int, tonight: dict[str, Any]) -> History:
    """The summaries in `folder` of the `days` before tonight's night, with tonight's own in
    place of any earlier run over the same window. A damaged summary is skipped and named
    (the trend loses one point; the run goes on)."""
    end = _moment(tonight["night"])
    start = end - timedelta(days=days)
    nights: dict[str, dict[str, Any]] = {}
    unreadable: list[str] = []
    for path, moment in _our_files(folder):
        if not start <= moment < end:
            continue
        try:
            summary = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            unreadable.append(path.name)
            continue
        if (
            not isinstance(summary, dict)
            or summary.get("kind") != KIND
            or not isinstance(summary.get("night"), str)
        ):
            unreadable.append(path.name)
            continue
        nights[path.name] = summary
    nights[file_name(tonight["night"])] = tonight
    ordered = [nights[name] for name in sorted(nights)]
    return History(folder, days, ordered, unreadable)


def add_trends(report: dict[str, Any], history: History) -> None:
    """findings[].trend: the finding's events per night, oldest first, 0 on nights it was not
    seen; report["history"] says which nights these are."""
    nights = history.nights[-MAX_POINTS:]
    for finding in report["findings"]:
        finding["trend"] = [
            {"night": n["night"], "count": _count(n, finding["pattern"])} for n in nights
        ]
    report["history"] = {
        "folder": str(history.folder),
        "days": history.days,
        "nights": [n["night"] for n in nights],
        "summaries": len(history.nights),
        "unreadable": history.unreadable,
    }


def save_summary(folder: Path, summary: dict[str, Any], days: int) -> list[str]:
    """Write tonight's summary (atomically, replacing an earlier run over the same window),
    then remove our summaries more than `days` older than the newest. Returns the names
    removed."""
    write_atomic(folder / file_name(summary["night"]), orjson.dumps(summary).decode() + "\n")
    ours = _our_files(folder)
    newest = max(moment for _path, moment in ours)
    removed = []
    for path, moment in ours:
        if moment < newest - timedelta(days=days):
            try:
                path.unlink()
            except FileNotFoundError:  # another run removed it first
                continue
            except OSError as exc:
                raise OutputError(
                    f"cannot remove the old summary {path}: {exc.strerror}",
                    "check the permissions of the --history folder",
                ) from exc
            removed.append(path.name)
    return removed


def _count(summary: dict[str, Any], pattern: str) -> int:
    found = summary.get("findings")
    row = found.get(pattern) if isinstance(found, dict) else None
    count = row.get("count") if isinstance(row, dict) else 0
    return count if isinstance(count, int) else 0


def _our_files(folder: Path) -> list[tuple[Path, datetime]]:
    """Our summaries in `folder` with the moment each is filed under; nothing else."""
    try:
        names = [p for p in folder.iterdir() if p.is_file()]
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise OutputError(
            f"cannot read the --history folder {folder}: {exc.strerror}",
            "give a folder eelogs may read and write",
        ) from exc
    out = []
    for path in names:
        match = _NAME.match(path.name)
        if match:
            out.append((path, _moment(match[1])))
    return out


def _moment(text: str) -> datetime:
    """An ISO time of a report, or a summary file's time stamp, as an aware UTC datetime."""
    if _NAME.match(f"eelogs-night-{text}.json"):
        whole, millis = text[:-1].split(".")
        moment = datetime.strptime(whole, _NAME_TIME).replace(tzinfo=UTC)
        return moment + timedelta(milliseconds=int(millis))
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
