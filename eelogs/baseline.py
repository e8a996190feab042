"""Compare a run with the previous run's JSON: what is new, ongoing, resolved."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import Any

import orjson

from eelogs.accountrows import LazyAccounts
from eelogs.bounded import FILE_MAX, read_capped
from eelogs.catalog import SEVERITIES
from eelogs.errors import EelogsError

_HINT = "pass the JSON report of an earlier run (--format json or --save-json)"


def load_baseline(path: Path) -> dict[str, Any] | None:
    """The previous JSON report, or None on the first run (the caller warns: everything
    found is new). A file that is not an eelogs report, or a damaged one, is an error that
    says what is wrong: its findings end up in this run's report."""
    try:
        raw = read_capped(path, "baseline", _HINT)
        # --save-json latest.json.gz writes it gzipped; read it back the same way
        if raw[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as unzipped:
                raw = unzipped.read(FILE_MAX + 1)
            if len(raw) > FILE_MAX:
                raise EelogsError(f"baseline {path} unpacks to over 64 MiB", _HINT)
        data = orjson.loads(raw)
    except FileNotFoundError:
        return None
    except (OSError, EOFError, zlib.error, orjson.JSONDecodeError) as exc:
        raise EelogsError(f"baseline {path} is not an eelogs JSON report: {exc}", _HINT) from exc
    problem = _problem(data)
    if problem is not None:
        raise EelogsError(f"baseline {path} is not an eelogs JSON report: {problem}", _HINT)
    findings = [{**_EMPTY_FINDING, "title": f["pattern"], **f} for f in data["findings"]]
    return {**data, "findings": findings, "accounts": data.get("accounts") or []}


# What a finding read back needs to be shown as resolved; older reports lack some keys.
_EMPTY_FINDING: dict[str, Any] = {
    "action": "", "severity": "info", "category": "", "scope": "account", "count": 0,
    "lines": 0, "accounts": [], "open_accounts": [], "recovered_accounts": [],
    "providers": [], "first": None, "last": None, "open": False, "fields": {},
    "samples": [], "last_error": None, "detector": False,
}  # fmt: skip
_TYPES: dict[str, tuple[type, ...]] = {
    "pattern": (str,), "title": (str,), "action": (str,), "severity": (str,),
    "category": (str,), "scope": (str,), "status": (str,), "count": (int,), "lines": (int,),
    "first": (str, type(None)), "last": (str, type(None)), "last_error": (str, type(None)),
    "open": (bool,), "detector": (bool,), "fields": (dict,), "samples": (list,),
}  # fmt: skip
_NAME_LISTS = ("accounts", "open_accounts", "recovered_accounts", "providers", "new_accounts")


def _problem(data: Any) -> str | None:
    """What keeps `data` from being a report this run can compare with, or None."""
    if not isinstance(data, dict):
        return f"it holds a JSON {type(data).__name__}, not a report"
    if not isinstance(data.get("findings"), list):
        return '"findings" is missing or not a list'
    if not isinstance(data.get("accounts", []), list):
        return '"accounts" is not a list'
    about = data.get("eelogs", {})
    if not isinstance(about, dict) or not isinstance(about.get("generated", ""), str):
        return '"eelogs" is not the object eelogs writes'
    for i, finding in enumerate(data["findings"]):
        problem = _finding_problem(finding)
        if problem is not None:
            return f"finding {i}: {problem}"
    for i, account in enumerate(data.get("accounts", [])):
        if not isinstance(account, dict) or not isinstance(account.get("account", ""), str):
            return f"account {i} is not an object with an account name"
    return None


def _finding_problem(finding: Any) -> str | None:
    if not isinstance(finding, dict):
        return "not an object"
    if "pattern" not in finding:
        return 'no "pattern"'
    for key, types in _TYPES.items():
        value = finding.get(key, _EMPTY_FINDING.get(key, ""))
        if not isinstance(value, types) or (int in types and isinstance(value, bool)):
            return f"{key} is {type(value).__name__}, not {types[0].__name__}"
    if finding.get("severity", "info") not in SEVERITIES:
        return f"severity {finding['severity']!r} is not one of {', '.join(SEVERITIES)}"
    if not all(isinstance(v, list) for v in finding.get("fields", {}).values()):
        return "fields is not an object of lists"
    for key in _NAME_LISTS:
        names = finding.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return f"{key} is not a list of names"
    return None


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
    failing_now = _mark_accounts(report, failing_before)
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


def _mark_accounts(report: dict[str, Any], failing_before: set[str]) -> set[str]:
    """Give each failing account, and each that failed in the baseline, its status; the
    accounts failing now. A table of accounts (accounttable.py) takes the statuses as a
    mapping, its rows are made later."""
    accounts = report["accounts"]
    if isinstance(accounts, LazyAccounts):
        failing_now = set(accounts.failing_names())
        status = {a: "ongoing" if a in failing_before else "new" for a in failing_now}
        resolved = accounts.present(failing_before - failing_now)
        status.update(dict.fromkeys(resolved, "resolved"))
        report["accounts"] = accounts.with_status(status)
        return failing_now
    failing_now = {a["account"] for a in accounts if a["failing"]}
    status = {a: "ongoing" if a in failing_before else "new" for a in failing_now}
    for account in accounts:
        if account["account"] in status:
            account["status"] = status[account["account"]]
        elif account["account"] in failing_before:
            account["status"] = "resolved"
    return failing_now


def new_at_or_above(report: dict[str, Any], threshold: str) -> bool:
    """--fail-on-new: is a finding at or above `threshold` open now and not open in the
    baseline? An ongoing finding does not count, even with new accounts: tonight's alert is
    for what changed, and the report lists the new accounts of ongoing findings anyway."""
    floor = SEVERITIES.index(threshold)
    return any(
        f.get("status") == "new" and f["open"] and SEVERITIES.index(f["severity"]) >= floor
        for f in report["findings"]
    )
