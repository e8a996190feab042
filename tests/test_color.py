"""Issue 17: colour on a terminal follows no-color.org: only a non-empty NO_COLOR turns it off."""

from __future__ import annotations

import os
import pty
import subprocess

import pytest
from conftest import SAMPLES, eelogs_command


def _report_on_a_terminal(no_color: str | None) -> str:
    """`eelogs analyze` with stdout on a pseudo-terminal, as a user at a shell sees it."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color is not None:
        env["NO_COLOR"] = no_color
    main, side = pty.openpty()
    proc = subprocess.Popen(
        [*eelogs_command(), "analyze", str(SAMPLES / "emailengine.log")],
        stdin=subprocess.DEVNULL,
        stdout=side,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(side)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed its end of the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=120) == 0
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("", True), ("1", False)])
def test_no_color_counts_only_when_it_has_a_value(no_color: str | None, coloured: bool) -> None:
    report = _report_on_a_terminal(no_color)
    assert "Findings, worst first" in report
    assert ("\x1b[" in report) is coloured
