"""When findings end, how long ago they were seen, and each account's own history.

Everything here is measured from the end of the analysed input (`input.last`), never from the
wall clock, so the same log gives the same report whenever it is analysed.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from eelogs.catalog import Pattern
from eelogs.collect import Collector
from eelogs.parse import iso
from eelogs.redact import redact_text
from eelogs.tracks import AccountTrack

QUIET_PERIOD_MS = 60 * 60_000  # an account-less problem not seen for an hour is over
TIMELINE_SHOWN = 160  # characters of an event's sample line in the report
RESTATING_DETECTOR = "provider-incident"  # its finding repeats the incidents' own findings


def account_timeline(track: AccountTrack) -> list[dict[str, Any]]:
    # lines of several inputs may arrive out of order: sorted here, stable for equal times
    events = sorted(track.events()[0], key=lambda e: e.time)
    return [
        {
            "time": iso(e.time),
            "kind": e.kind,
            "state": e.value if e.kind == "state" else None,
            "pattern": e.value if e.kind == "finding" else None,
            "text": _shown(e.text),
        }
        for e in events
    ]


@functools.lru_cache(maxsize=4096)
def _shown(text: str | None) -> str | None:
    """Redacted first, then cut: the collector kept more than is shown, so a secret that
    starts inside the shown part is whole when the rules look at it."""
    if not text:
        return None
    text = redact_text(text.split("\n")[0].strip())
    return text if len(text) <= TIMELINE_SHOWN else text[: TIMELINE_SHOWN - 1] + "…"


def end_findings(
    findings: list[dict[str, Any]],
    collector: Collector,
    patterns: dict[str, Pattern],
    quiet_ms: int,
) -> None:
    """Close account-less findings that are over, and say when each finding was last seen.

    A finding about no account (an `instance` pattern, or one whose lines name no account)
    has nothing else that could close it: it ends when one of its pattern's recovery signals
    (`recovered_by`, on any account or none) was logged after its last event, or when it
    did not recur for `quiet_ms` before the input ends. `ended` is its last event: when the
    trouble was last visible (the collector keeps only the latest time of each recovery
    signal, so the moment it was seen to recover is not known). An ended finding is not
    open, so it neither counts as open nor trips --fail-on."""
    end = collector.last
    for finding in findings:
        last = _ms(finding.get("last"))
        finding["last_seen_ago_s"] = (end - last) // 1000 if end is not None and last else None
        finding["ended"] = None
        finding["ended_by"] = None
        pattern = patterns.get(finding["pattern"])
        if pattern is None or last is None or end is None or not finding["open"]:
            continue
        if pattern.scope != "instance" and finding["accounts"]:
            continue
        # only the pattern's own recovered_by: the category defaults say what closes the
        # problem for one account, and another account's login proves nothing here
        signal = next(
            (k for k in pattern.recovered_by if collector.signals.get(k, -1) > last), None
        )
        if signal is not None or end - last >= quiet_ms:
            finding["open"] = False
            finding["ended"] = finding["last"]
            finding["ended_by"] = f"signal:{signal}" if signal else "quiet"


def link_incidents(
    findings: list[dict[str, Any]], incidents: list[dict[str, Any]], patterns: dict[str, Pattern]
) -> None:
    """Each finding names the incidents of its pattern; the detector finding that restates
    provider-wide incidents names the findings it repeats (`restates`), so the reports show
    it as their incident and count it once."""
    for finding in findings:
        finding["incidents"] = [
            i["summary"] for i in incidents if i["pattern"] == finding["pattern"]
        ]
        pattern = patterns.get(finding["pattern"])
        restated = pattern is not None and pattern.detector == RESTATING_DETECTOR
        finding["restates"] = (
            sorted({i["pattern"] for i in incidents if i["kind"] == "provider-wide"})
            if restated
            else []
        )


def measure_from(findings: list[dict[str, Any]], end: str | None) -> None:
    """`last_seen_ago_s` again, from another end: an --account report's window is the whole
    input's, not the account's last line."""
    end_ms = _ms(end)
    for finding in findings:
        last = _ms(finding.get("last"))
        finding["last_seen_ago_s"] = (end_ms - last) // 1000 if end_ms and last else None


def _ms(moment: str | None) -> int | None:
    """An ISO time of the report back to epoch milliseconds."""
    if not moment:
        return None
    return round(datetime.fromisoformat(moment).timestamp() * 1000)
