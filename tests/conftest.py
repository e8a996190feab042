"""Shared helpers: run `eelogs` from this source tree as a real subprocess, find sample files.

The suite tests the source tree, not whatever copy `pip install .` put in site-packages: an
edit is tested at once, without reinstalling. The repository root goes first on sys.path
(imports in the tests) and on PYTHONPATH (every subprocess, `python -m eelogs` included).
test_cli.py keeps one test of the installed copy and the data files its wheel carries.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_logs"
FRAMINGS = SAMPLES / "framings"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(SAMPLES))  # the sample generator's building blocks
sys.path.insert(0, str(REPO))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)


def eelogs_command() -> list[str]:
    """`eelogs` from the source tree (PYTHONPATH above puts it before any installed copy)."""
    return [sys.executable, "-m", "eelogs"]


def installed_eelogs() -> str | None:
    """The console script `pip install .` made, if any: the installed copy."""
    return shutil.which("eelogs", path=str(Path(sys.executable).parent))


def run(
    args: list[str],
    stdin: bytes | str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `eelogs ARGS` as a real process; stdout and stderr kept apart."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    proc = subprocess.run(
        [*eelogs_command(), *args],
        input=data,
        capture_output=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def analyze_json(
    *args: str, stdin: bytes | str | None = None, env: dict[str, str] | None = None
) -> dict[str, Any]:
    result = run(["analyze", "--format", "json", *args], stdin=stdin, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def pattern_toml(pattern_id: str, match: str, example: str) -> str:
    """A small user pattern file: one [[match]] block (its TOML lines) and one example."""
    return f"""id = "{pattern_id}"
title = "A custom problem"
action = "Do the thing"
severity = "low"
category = "custom"

[[match]]
{match}

[docs]
what = "w"
why = "y"
fix = "f"

[[examples]]
expect = "match"
line = \'\'\'{example}\'\'\'
"""


def classify_rows(*args: str, stdin: bytes | str | None = None) -> list[dict[str, Any]]:
    result = run(["classify", *args], stdin=stdin)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="session")
def sample_log() -> Path:
    return SAMPLES / "emailengine.log"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden/ from the current output"
    )


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium for the tests that open a report in a real browser."""
    from cdp import find_chromium

    binary = find_chromium()
    if binary is None:
        pytest.skip(
            "Chromium is not installed (Debian: apt-get install chromium); "
            "the HTML report could not be opened in a browser"
        )
    return binary
