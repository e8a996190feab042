"""Issue 17: the developer loop: .ci/run cleans up, the browser harness's pipes, .gitignore."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO


@pytest.mark.parametrize("outcome", [0, 1])
def test_ci_run_removes_its_venv(tmp_path: Path, outcome: int) -> None:
    """.ci/run makes a 350 MB venv in $TMPDIR; it must be gone when the run ends, whether
    the checks passed or not. Here python3 makes a venv whose tools all exit `outcome`."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("dirname", "mktemp", "id", "rm"):
        found = shutil.which(tool)
        assert found is not None
        (tools / tool).symlink_to(found)
    (tools / "python3").write_text(
        "#!/bin/sh\nPATH=/usr/bin:/bin\n"
        '[ "$1 $2" = "-m venv" ] || exit 9\n'
        'mkdir -p "$3/bin" && echo "PATH=$3/bin:\\$PATH" > "$3/bin/activate"\n'
        "for tool in python pip ruff mypy pytest; do\n"
        f'  printf "#!/bin/sh\\nexit {outcome}\\n" > "$3/bin/$tool"; chmod +x "$3/bin/$tool"\n'
        "done\n"
    )
    (tools / "python3").chmod(0o755)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    done = subprocess.run(
        ["/bin/bash", str(REPO / ".ci/run")],
        env={"PATH": str(tools), "TMPDIR": str(scratch), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == outcome, done.stderr
    assert list(scratch.iterdir()) == []


_FAKE_BROWSER = """
import os, sys
data = b""
while b"\\0" not in data:  # one DevTools message from fd 3, answered on fd 4
    chunk = os.read(3, 65536)
    if not chunk:
        sys.exit(1)
    data += chunk
os.write(4, data.split(b"\\0")[0] + b"\\0")
"""


def test_browser_pipes_work_when_fds_3_and_4_are_free(tmp_path: Path) -> None:
    """tests/cdp.py hands Chromium its pipe on fds 3 and 4. When the parent had those free,
    its own pipe ends were 3 and 4, and dup2(3, 3) kept close-on-exec: Chromium got no pipe."""
    fake = tmp_path / "browser"
    fake.write_text(f"#!{sys.executable}\n{_FAKE_BROWSER}")
    fake.chmod(0o755)
    driver = f"""
import contextlib, os, sys
from pathlib import Path
for fd in (3, 4):
    with contextlib.suppress(OSError):
        os.close(fd)
sys.path.insert(0, {str(REPO / "tests")!r})
from cdp import Browser
browser = Browser({str(fake)!r}, Path({str(tmp_path)!r}))
assert browser._to_child == 4, "the parent's pipe did not land on fds 3 and 4"
print(browser.send("Browser.getVersion", session=False, timeout=20))
browser.proc.wait(timeout=20)
"""
    done = subprocess.run(
        [sys.executable, "-c", driver], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "{}\n"


def test_gitignore_ignores_no_tracked_file() -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    listed = subprocess.run(
        [git, "-C", str(REPO), "ls-files", "-i", "-c", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    assert listed.stdout == "", "tracked files that .gitignore ignores"
