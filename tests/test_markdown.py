"""The Markdown report sized for tickets (issue 21): under 60,000 characters for any input,
tables whose every row has the table's column count, and a one-account ticket with the
account's state history, its related incident, the analysed window and commands that paste."""

from __future__ import annotations

import json
import random
import re
import shlex
from pathlib import Path

import pytest
from conftest import REPO, run
from markdown_check import live_markup

SAMPLE = str(REPO / "sample_logs/emailengine.log")
PINNED = {"EELOGS_NOW": "2026-11-25T00:00:00Z", "TZ": "UTC"}
T0 = 1795478400000  # 2026-11-24T00:00:00Z
LIMIT = 60_000


def markdown(*args: str) -> str:
    result = run(["analyze", *args, "--format", "md"], env=PINNED)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def line(t: int, msg: str, level: int = 30, account: str | None = None, **data: object) -> str:
    record: dict[str, object] = {"level": level, "time": t, "pid": 7, "hostname": "ee", "msg": msg}
    if account is not None:
        record |= {"component": "connection-client", "account": account}
    return json.dumps(record | data)


def failing_day(accounts: int, seed: int = 21) -> list[str]:
    """A day where thousands of accounts fail in several ways, with long and hostile names,
    long server answers and many warnings the catalog does not know."""
    rng = random.Random(seed)
    lines = [line(T0, "EmailEngine starting up", version="2.79.2", node="22.13.1")]
    for n in range(accounts):
        name = f"user{n}-" + "x" * rng.randint(0, 120) + rng.choice(["", "|pipe", "`tick`", "<b>"])
        t = T0 + n * 20_000
        lines.append(line(t, "Created primary client", account=name))
        answer = "NO [AUTHENTICATIONFAILED] Invalid credentials " + "y" * rng.randint(0, 900)
        lines.append(
            line(
                t + 500,
                "Failed to authenticate",
                40,
                name,
                err={
                    "message": "Command failed",
                    "response": f"3 {answer}",
                    "serverResponseCode": "AUTHENTICATIONFAILED",
                    "authenticationFailed": True,
                },
            )
        )
        lines.append(
            line(
                t + 9000,
                "Failed to connect",
                40,
                name,
                err={
                    "message": f"connect ECONNREFUSED 203.0.{n % 250}.1:993",
                    "code": "ECONNREFUSED",
                },
            )
        )
        lines.append(line(t + 12000, f"Unusual thing {rng.random()} happened | `x` " * 5, 40, name))
    return lines


def tables(text: str) -> list[list[str]]:
    """Each Markdown table as its lines: a header row, its separator, then the rows."""
    found: list[list[str]] = []
    rows = text.split("\n")
    for i, row in enumerate(rows[:-1]):
        if row.startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", rows[i + 1]):
            table = [row, rows[i + 1]]
            for more in rows[i + 2 :]:
                if not more.startswith("|"):
                    break
                table.append(more)
            found.append(table)
    return found


def columns(row: str) -> int:
    """Cells of a table row: pipes not escaped by a backslash, less the outer two."""
    return len(re.findall(r"(?<!\\)\|", row)) - 1


def assert_tables_are_whole(text: str) -> None:
    found = tables(text)
    assert found, "the report has tables"
    for table in found:
        width = columns(table[0])
        for row in table:
            assert columns(row) == width, f"{row!r} has not {width} columns"
            assert row.endswith("|")


def test_sample_report_fits_a_github_issue_and_has_whole_tables() -> None:
    text = markdown(SAMPLE)
    assert len(text) < LIMIT
    assert_tables_are_whole(text)
    for heading in ("## Findings", "## Incidents", "## Failing accounts", "## Providers"):
        assert f"\n{heading}\n" in text
    # an ended finding says so and when; "last seen" is measured from the input's end
    assert re.search(r"\[EmailEngine lost or cannot reach its Redis database\]\(#redis-error\)"
                     r".*\(17 h ago\) \| ended 2026-11-23 13:23:54Z \|", text)  # fmt: skip
    # provider-incident is shown as the incident of oauth-invalid-client, not as a finding
    assert "(#provider-incident)" not in text
    assert "- Incident: 7 Microsoft 365 / Outlook accounts" in text


@pytest.mark.parametrize("accounts", [3000])
def test_a_day_with_thousands_of_failing_accounts_still_fits(tmp_path: Path, accounts: int) -> None:
    log = tmp_path / "day.log"
    log.write_text("\n".join(failing_day(accounts)) + "\n")
    text = markdown(str(log))
    assert len(text) < LIMIT, len(text)
    assert_tables_are_whole(text)
    assert f"**{accounts} of {accounts:,} accounts failing**" in text
    assert re.search(r"\d[\d,]* more failing accounts: see `--format html`", text)
    # log text never becomes HTML: `<b>` is shown in code spans, never parsed as a tag
    assert not live_markup(text, "<b>")


def test_fix_steps_are_real_markdown_and_commands_paste_as_they_are() -> None:
    text = markdown(SAMPLE)
    fix = text.split("## OAuth2 refresh token expired or revoked (invalid_grant)")[1]
    fix = fix.split("\n## ")[0]
    assert "**Fix:**\n\n1. Send the user through the sign-in again" in fix
    assert "```text\n1." not in text  # no fix step in a text fence
    next_block = text.split("## Next\n\n")[1]
    commands = next_block.split("```sh\n")[1].split("\n```")[0].splitlines()
    assert commands[0] == "eelogs patterns show oauth-invalid-client"
    assert shlex.split(commands[1]) == [
        "eelogs", "analyze", SAMPLE, "--account",
        "m365-team0@contoso.com", "--format", "md", "-o", "ticket.md",
    ]  # fmt: skip
    assert "…" not in next_block


def test_ticket_has_history_incident_window_and_versions() -> None:
    text = markdown(SAMPLE, "--account", "m365-team0@contoso.com")
    assert len(text) < LIMIT
    assert_tables_are_whole(text)
    assert "| Analysed window | 2026-11-23 08:00:00Z → 2026-11-24 07:22:05Z |" in text
    assert "| EmailEngine version | `2.79.2` |" in text
    assert "| Node.js version | `22.13.1` |" in text
    history = text.split("### State history\n\n")[1].split("\n\n")[0].splitlines()[2:]
    times = [row.split("|")[1].strip() for row in history]
    assert times == sorted(times) and len(times) >= 3
    assert any("state → `authenticationError`" in row for row in history)
    assert any("| `oauth-invalid-client` |" in row for row in history)
    incident = text.split("### Related incidents\n\n")[1].split("\n")[0]
    assert incident.startswith("- 7 Microsoft 365 / Outlook accounts: OAuth2 client secret")
    assert "(19:20–19:22 UTC, 7 events)" in incident


def test_ticket_from_stdin_says_the_window_is_the_accounts_own() -> None:
    result = run(
        ["analyze", "-", "--account", "sales-o365", "--format", "md"],
        stdin=Path(SAMPLE).read_bytes(),
        env=PINNED,
    )
    assert result.returncode == 0, result.stderr
    assert "(this account's records: the input was read once, from a stream)" in result.stdout


def test_hostile_account_id_cannot_turn_into_a_link_in_the_fix(tmp_path: Path) -> None:
    name = "[click](http://evil.example)"
    log = tmp_path / "ee.log"
    error = {"message": "connect ECONNREFUSED 203.0.113.1:993", "code": "ECONNREFUSED"}
    log.write_text(line(T0, "Failed to connect", 40, name, err=error) + "\n")
    text = markdown(str(log), "--account", name)
    fix = text.split("**Fix:**")[1].split("<details>")[0]
    assert "evil.example" not in fix
    assert "`GET /v1/account/<account>`" in fix
    assert_tables_are_whole(text)


def test_a_long_ticket_is_rendered_again_with_tighter_limits(tmp_path: Path) -> None:
    """Five accounts with long histories: the generous rendering is over the budget, so the
    next level (fewer history rows, fewer tickets) is the one written."""
    names = [f"acct{n}" for n in range(5)]
    lines = []
    for i in range(60):
        for name in names:
            lines.append(line(T0 + i * 60_000, "Failed to authenticate", 40, name, err={
                "message": "Command failed", "serverResponseCode": "AUTHENTICATIONFAILED",
                "response": "3 NO [AUTHENTICATIONFAILED] Invalid credentials " + "z" * 300,
                "authenticationFailed": True}))  # fmt: skip
    log = tmp_path / "ee.log"
    log.write_text("\n".join(lines) + "\n")
    text = markdown(str(log), *[arg for name in names for arg in ("--account", name)])
    assert len(text) < LIMIT
    assert_tables_are_whole(text)
    assert text.count("## Information to provide") == 3
    assert "The last 30 events; 31 earlier events not shown." in text
