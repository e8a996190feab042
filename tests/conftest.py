"""Shared helpers: run the installed `eelogs` as a real subprocess, find sample files."""

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


def eelogs_command() -> list[str]:
    found = shutil.which("eelogs", path=str(Path(sys.executable).parent)) or shutil.which("eelogs")
    return [found] if found else [sys.executable, "-m", "eelogs"]


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
