"""Temporary files of our atomic writes: named so they are recognisably ours, and removed
when the run that wrote one was killed before it could.

`.report.html.eelogs-HOST-PID-RANDOM.tmp`: the host and the writer's pid say whose it is. A
later write into the same folder removes those of this host whose writer is no longer
alive. Nothing can remove a temporary at the moment of a `kill -9`; the next run does.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path

from eelogs.safetext import visible

_OURS = re.compile(r"\A\..*\.eelogs-(?P<host>[A-Za-z0-9-]+)-(?P<pid>\d+)-[A-Za-z0-9_]+\.tmp\Z")
_NAME_BYTES = 100  # of the target's name in the temporary's: it must fit in 255 bytes


def host_tag() -> str:
    """This machine's name as it goes into a temporary's name: on a folder shared between
    machines a pid means nothing to another host, so only our own host's are judged."""
    return re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname())[:40] or "host"


def prefix(name: str) -> str:
    """mkstemp's prefix for a temporary beside `name` (the random part and .tmp follow)."""
    short = os.fsencode(name)[:_NAME_BYTES].decode("utf-8", "ignore")
    return f".{short}.eelogs-{host_tag()}-{os.getpid()}-"


def remove_stale(folder: Path) -> list[str]:
    """Remove our temporaries in `folder` whose writer is gone (killed mid-write), and say
    so on stderr. Another live run's temporary is left alone."""
    host = host_tag()
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        ours = _OURS.match(entry.name)
        if ours is None or ours["host"] != host or _alive(int(ours["pid"])):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:
            continue  # gone already, or not ours to remove: never a reason to fail
    if removed:
        names = ", ".join(removed[:3]) + (
            f" and {len(removed) - 3} more" if len(removed) > 3 else ""
        )
        print(f"eelogs: removed {len(removed)} temporary file(s) a killed run left in "
              f"{folder}: {visible(names)}", file=sys.stderr)  # fmt: skip
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process: alive; a pid out of range: not judged
    return True
