"""Compare a run with the previous run's JSON: what is new, ongoing, resolved."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson

from eelogs.catalog import SEVERITIES
from eelogs.errors import EelogsError


def load_baseline(path: Path) -> dict[str, Any] | None:
    """The previous JSON report, or None on the first run (the caller warns: everything
    found is new). A file that is not an eelogs report is an error."""
    try:
        raw = path.read_bytes()
        # --save-json latest.json.gz writes it gzipped; read it back the same way
        data = orjson.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    except FileNotFoundError:
        return None
    except (OSError, EOFError, orjson.JSONDecodeError) as exc:
        raise EelogsError(
            f"baseline {path} is not an eelogs JSON report: {exc}",
            "pass the JSON report of an earlier run",
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise EelogsError(
            f"baseline {path} is not an eelogs JSON report",
            "pass the JSON report of an earlier run (--format json)",
        )
    return data


def apply_baseline(report: dict[str, Any], previous: dict[str, Any], name: str) -> None:
    """Mark findings and failing accounts new / ongoing / resolved, in place.

    `resolved` means open in the baseline and no longer open now. A finding that is over now
    and was not open in the baseline either (already resolved or recovered then, or absent)
    is `recovered`: it happened, and it changes nothing since the baseline."""
    # only findings open in the baseline can be ongoing now, or resolved since
    before = {
        f["pattern"]: f
        for f in previous["findings"]
        if isinstance(f, dict) and f.get("status") != "resolved" and f.get("open", True)
    }
    now = {f["pattern"] for f in report["findings"]}
    for finding in report["findings"]:
        old = before.get(finding["pattern"])
        if not finding["open"]:
            finding["status"] = "resolved" if old is not None else "recovered"
        else:
            finding["status"] = "ongoing" if old is not None else "new"
        known = set(old.get("open_accounts") or old.get("accounts") or []) if old else set()
        finding["new_accounts"] = [a for a in finding["open_accounts"] if a not in known]
    for pid, old in before.items():
        if pid not in now:
            report["findings"].append(
                {
                    **old,
                    "status": "resolved",
                    "count": 0,
                    "lines": 0,
                    "open": False,
                    "open_accounts": [],
                    "new_accounts": [],
                    "samples": [],
                }
            )
    failing_before = {
        a["account"]
        for a in previous.get("accounts", [])
        if isinstance(a, dict) and a.get("failing")
    }
    failing_now = set()
    for account in report["accounts"]:
        if account["failing"]:
            failing_now.add(account["account"])
            account["status"] = "ongoing" if account["account"] in failing_before else "new"
        elif account["account"] in failing_before:
            account["status"] = "resolved"
    report["baseline"] = {
        "file": name,
        "previous_generated": previous.get("eelogs", {}).get("generated"),
        "new_findings": sorted(f["pattern"] for f in report["findings"] if f["status"] == "new"),
        "ongoing_findings": sorted(
            f["pattern"] for f in report["findings"] if f["status"] == "ongoing"
        ),
        "resolved_findings": sorted(
            f["pattern"] for f in report["findings"] if f["status"] == "resolved"
        ),
        "new_failing_accounts": sorted(failing_now - failing_before),
        "resolved_accounts": sorted(failing_before - failing_now),
    }
    report["summary"]["new_since_baseline"] = len(report["baseline"]["new_findings"])


def new_at_or_above(report: dict[str, Any], threshold: str) -> bool:
    """--fail-on-new: is a finding at or above `threshold` open now and not open in the
    baseline? An ongoing finding does not count, even with new accounts: tonight's alert is
    for what changed, and the report lists the new accounts of ongoing findings anyway."""
    floor = SEVERITIES.index(threshold)
    return any(
        f.get("status") == "new" and f["open"] and SEVERITIES.index(f["severity"]) >= floor
        for f in report["findings"]
    )
