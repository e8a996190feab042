"""The text report on a terminal (issue 21): it fits the width, --top and --failing-only
narrow it, and the header counts read right."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from conftest import REPO, run

SAMPLE = str(REPO / "sample_logs/emailengine.log")
PINNED = {"EELOGS_NOW": "2026-11-25T00:00:00Z", "TZ": "UTC"}
T0 = 1795478400000  # 2026-11-24T00:00:00Z
HEADER = re.compile(r"^(CRITICAL|HIGH|MEDIUM|LOW|INFO) +\S")


def refused(account: str) -> str:
    error = {"message": "connect ECONNREFUSED 203.0.113.1:993", "code": "ECONNREFUSED"}
    failure = {"level": 40, "time": T0, "msg": "Failed to connect", "account": account}
    return json.dumps(failure | {"component": "connection-client", "err": error})


def text(*args: str, columns: int = 80) -> list[str]:
    result = run(["analyze", *args], env={**PINNED, "COLUMNS": str(columns)})
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_no_line_is_wider_than_the_terminal(columns: int) -> None:
    lines = text(SAMPLE, columns=columns)
    for line in lines:
        if len(line) <= columns:
            continue
        # only what cannot be broken: one long word, or a command that must paste whole
        assert line.startswith("  eelogs ") or len(line.split()) == 1, line
    assert any(len(line) > columns - 10 for line in lines), "the width is used"


def test_wrapped_lines_keep_their_indent() -> None:
    lines = text(SAMPLE, columns=60)
    first = lines.index("Findings, worst first") + 1
    body = lines[first : first + 8]
    assert HEADER.match(body[0])
    assert all(line.startswith("  ") for line in body[1:])


def test_top_shows_the_worst_findings_and_counts_the_rest() -> None:
    everything = [line for line in text(SAMPLE, columns=200) if HEADER.match(line)]
    lines = text(SAMPLE, "--top", "3", columns=200)
    shown = [line for line in lines if HEADER.match(line)]
    assert shown == everything[:3]
    assert (
        f"{len(everything) - 3} more open findings not shown (--top 3; --format html for all)"
        in lines
    )


def test_failing_only_lists_findings_about_failing_accounts_only() -> None:
    report = json.loads(run(["analyze", SAMPLE, "--format", "json"], env=PINNED).stdout)
    failing = {a["account"] for a in report["accounts"] if a["failing"]}
    about_failing = {
        f["pattern"]
        for f in report["findings"]
        if f["open"] and not f["restates"] and failing & set(f["open_accounts"])
    }
    lines = text(SAMPLE, "--failing-only", columns=200)
    shown = {line.split()[1] for line in lines if HEADER.match(line)}
    assert shown == about_failing
    assert "license-inactive" not in "\n".join(lines)
    assert "Ended or recovered" not in lines
    assert "Failing accounts" in lines


def test_header_counts_and_plurals(tmp_path: Path) -> None:
    log = tmp_path / "ee.log"
    log.write_text(refused("a1") + "\n")
    lines = text(str(log))
    assert lines[0] == "eelogs · 1 record · 2026-11-24 00:00Z → 2026-11-24 00:00Z · 0 unparsed"
    assert lines[1] == "1 account, 1 failing · 1 open finding · 1 high"
    assert any(
        line.startswith("HIGH     connect-refused · 1 event · 1 account ·") for line in lines
    )


def test_next_command_pastes_as_it_is(tmp_path: Path) -> None:
    name = "evil $(touch pwned) it's"
    log = tmp_path / "my logs.log"
    log.write_text(refused(name) + "\n")
    lines = text(str(log), columns=60)
    command = next(line for line in lines if line.startswith("  eelogs analyze"))
    assert "…" not in command
    assert shlex.split(command) == [
        "eelogs", "analyze", str(log), "--account", name, "--format", "md", "-o", "ticket.md",
    ]  # fmt: skip
