"""--state FILE: where the last run stopped, so consecutive runs neither miss nor repeat.

Files are remembered by inode and byte offset. A file that was rotated (same inode, now under
another name in the same folder) is read to its end first; a truncated file starts again at
0. journald inputs remember the cursor of the last entry. The state is saved only after the
report was written, so a failed run reads the same records again next time.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from eelogs.errors import EelogsError
from eelogs.render import write_atomic
from eelogs.sources import Input, Progress, is_compressed

VERSION = 1


def load_state(path: Path) -> dict[str, Any]:
    """The saved state, or an empty one on the first run."""
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {"version": VERSION, "files": {}, "journal": {}}
    except (OSError, orjson.JSONDecodeError) as exc:
        raise EelogsError(
            f"state file {path} is unreadable: {exc}",
            "delete it to start over (the next run reads everything again)",
        ) from exc
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise EelogsError(
            f"state file {path} is not an eelogs state file",
            "point --state at a file of its own, or delete this one",
        )
    data.setdefault("files", {})
    data.setdefault("journal", {})
    return data


def plan_inputs(inputs: list[Input], state: dict[str, Any]) -> list[Input]:
    """Inputs adjusted to start where the last run stopped (and rotated remainders first)."""
    planned: list[Input] = []
    for inp in inputs:
        if inp.argv and inp.argv[0] == "journalctl":
            cursor = state["journal"].get(inp.name)
            planned.append(
                replace(inp, argv=(*inp.argv, "--after-cursor", cursor)) if cursor else inp
            )
        elif inp.path is not None:
            planned.extend(_plan_file(inp, state["files"].get(str(inp.path))))
        else:
            planned.append(inp)
    return planned


def _plan_file(inp: Input, mark: dict[str, Any] | None) -> list[Input]:
    assert inp.path is not None
    stat = inp.path.stat()
    if is_compressed(inp.path):  # rotated archives do not grow: read once
        if mark and mark.get("inode") == stat.st_ino and mark.get("size") == stat.st_size:
            return []
        return [inp]
    fresh = replace(inp, whole_lines_only=True)
    if mark is None:
        return [fresh]
    if mark.get("inode") == stat.st_ino:
        if stat.st_size >= mark["offset"]:
            return [replace(fresh, start_offset=mark["offset"], start_line=mark["line"])]
        return [fresh]  # truncated in place: start again
    rotated = _find_inode(inp.path.parent, mark.get("inode"), inp.path)
    if rotated is not None and not is_compressed(rotated):
        rest = Input(
            name=str(rotated),
            path=rotated,
            account_hint=inp.account_hint,
            start_offset=mark["offset"],
            start_line=mark["line"],
        )
        return [rest, fresh]
    return [fresh]


def _find_inode(folder: Path, inode: Any, skip: Path) -> Path | None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for entry in entries:
        if entry.path != str(skip) and entry.is_file() and entry.inode() == inode:
            return Path(entry.path)
    return None


def next_state(
    old: dict[str, Any], inputs: list[Input], progress: dict[str, Progress]
) -> dict[str, Any]:
    files: dict[str, Any] = dict(old["files"])
    journal: dict[str, Any] = dict(old["journal"])
    for inp in inputs:
        done = progress.get(inp.name)
        if done is None:
            continue
        if inp.argv and inp.argv[0] == "journalctl" and done.cursor:
            journal[inp.name] = done.cursor
        elif (inp.path is not None and inp.whole_lines_only) or (
            inp.path is not None and is_compressed(inp.path)
        ):
            stat = inp.path.stat()
            files[str(inp.path)] = {
                "inode": stat.st_ino,
                "offset": done.offset,
                "line": done.line,
                "size": stat.st_size,
            }
    return {"version": VERSION, "files": files, "journal": journal}


def save_state(path: Path, state: dict[str, Any]) -> None:
    write_atomic(path, orjson.dumps(state, option=orjson.OPT_INDENT_2).decode() + "\n")
