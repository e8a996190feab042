"""One measured run of a command: wall seconds, peak RSS and CPU seconds."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path


def measure(argv: list[str], stdin: Path | None = None) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user and system) of one run of a
    command. CPU time moves less than wall time when the machine's neighbours are busy."""
    started = time.perf_counter()
    # not /dev/null: GNU grep stops at the first match when its output goes nowhere
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as feed, \
            tempfile.TemporaryFile() as sink:
        proc = subprocess.Popen(argv, stdin=feed, stdout=sink, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(argv)}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
