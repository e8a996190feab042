"""--metrics FILE: the run's numbers in Prometheus' text exposition format, for
node_exporter's textfile collector (which reads *.prom files from one folder).

The file is replaced atomically (a temporary file in the same folder, then a rename), as the
collector's documentation asks: it must never read half a file. Pattern ids come from the
catalog and user pattern folders, states and providers from the logs: every label value is
escaped as the format says (backslash, double quote, newline). No account name becomes a
label: a label per account would be a series per account, and names are personal data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from eelogs.accountrows import failing_rows
from eelogs.catalog import SEVERITIES

Labels = dict[str, str]
Sample = tuple[Labels, float]


def escape_label(value: str) -> str:
    """A label value as the text format wants it between double quotes."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    """HELP text: backslash and newline escaped (quotes may stay)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def family(name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    """One metric family: its # HELP and # TYPE lines, then one line per sample."""
    lines = [f"# HELP {name} {escape_help(help_text)}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        inner = ",".join(f'{key}="{escape_label(str(v))}"' for key, v in labels.items())
        lines.append(f"{name}{{{inner}}} {_number(value)}" if inner else f"{name} {_number(value)}")
    return lines


def exposition(report: dict[str, Any], run_time: datetime) -> str:
    """The whole file: findings, failing accounts, input counters, run time and version."""
    findings = [f for f in report["findings"] if f.get("count") or f.get("open")]
    open_by_severity = Counter(f["severity"] for f in findings if f.get("open"))
    lines = family(
        "eelogs_open_findings",
        "gauge",
        "Findings still open at the end of the analysed window, by severity.",
        (({"severity": s}, open_by_severity[s]) for s in reversed(SEVERITIES)),
    )
    if report.get("baseline"):
        new = Counter(f["severity"] for f in findings if f.get("status") == "new")
        lines += family(
            "eelogs_new_findings",
            "gauge",
            "Open findings that were not open in the --baseline report, by severity.",
            (({"severity": s}, new[s]) for s in reversed(SEVERITIES)),
        )
    lines += _per_finding(findings)
    lines += _accounts(report["accounts"])
    lines += _run(report, run_time)
    return "\n".join(lines) + "\n"


def _per_finding(findings: list[dict[str, Any]]) -> list[str]:
    def each(value: Any) -> Iterable[Sample]:
        return (({"pattern": f["pattern"], "severity": f["severity"]}, value(f)) for f in findings)

    return [
        *family(
            "eelogs_finding_open",
            "gauge",
            "1 while the finding is open at the end of the analysed window, 0 once it is over.",
            each(lambda f: 1 if f.get("open") else 0),
        ),
        *family(
            "eelogs_finding_events",
            "gauge",
            "Events of the finding in the analysed window.",
            each(lambda f: f["count"]),
        ),
        *family(
            "eelogs_finding_accounts",
            "gauge",
            "Accounts the finding is still open for at the end of the analysed window.",
            each(lambda f: len(f.get("open_accounts") or [])),
        ),
    ]


def _accounts(accounts: Sequence[dict[str, Any]]) -> list[str]:
    failing = Counter((a["state"], a["provider"]) for a in failing_rows(accounts))
    return [
        *family(
            "eelogs_failing_accounts",
            "gauge",
            "Accounts failing at the end of the analysed window, by state and provider.",
            (({"state": s, "provider": p}, n) for (s, p), n in sorted(failing.items())),
        ),
        *family(
            "eelogs_accounts",
            "gauge",
            "Accounts seen in the analysed window.",
            [({}, len(accounts))],
        ),
    ]


def _run(report: dict[str, Any], run_time: datetime) -> list[str]:
    seen = report["input"]
    return [
        *family(
            "eelogs_records",
            "gauge",
            "EmailEngine records analysed in this run.",
            [({}, seen["records"])],
        ),
        *family(
            "eelogs_unparsed_lines",
            "gauge",
            "Input lines that held no EmailEngine record (counted, never fatal).",
            [({}, seen["unparsed"])],
        ),
        *family(
            "eelogs_last_run_timestamp_seconds",
            "gauge",
            "When this file was written, as a Unix time; a stale value means the job stopped.",
            [({}, run_time.timestamp())],
        ),
        *family(
            "eelogs_info",
            "gauge",
            "The eelogs version that wrote this file.",
            [({"version": str(report["eelogs"]["version"])}, 1)],
        ),
    ]


def _number(value: float) -> str:
    """Integers without a decimal point; other values as Python's shortest repr."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
