"""--state FILE: where the last run stopped, so the next one resumes there and consecutive
runs neither miss nor repeat.

Files are remembered by identity (device and inode) and byte offset, so one file reached by an
absolute path, a relative one or a symlinked folder is one file. Each mark keeps the file's
resolved path: when another file now has that name, the old one was rotated and is found
again by its inode in the same folder, and read to its end first. A truncated file starts
again at 0, and so does a new file on an inode the system reused (its first bytes differ).
journald inputs remember the cursor of their last entry, one per unit. The state is saved
only after the report was written, so a failed run reads the same records again next time.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
import time
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import orjson

from eelogs.bounded import read_capped
from eelogs.errors import EelogsError
from eelogs.render import write_atomic
from eelogs.sources import FileSeen, Input, Progress, drop_options, is_compressed

VERSION = 2  # 1 keyed files by the path as it was typed; it is read and migrated
_HEAD = 1024  # bytes that tell one file from another on the same inode


def load_state(path: Path) -> dict[str, Any]:
    """The saved state, or an empty one on the first run. A damaged state file is an error
    (exit 2) rather than a fresh start: starting over would report every record again,
    and a cron job's alerts would repeat a night's findings without saying why."""
    hint = "delete it to start over (the next run reads everything again)"
    try:
        raw = read_capped(path, "state file", hint)
    except FileNotFoundError:
        return {"version": VERSION, "files": {}, "journal": {}}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise EelogsError(f"state file {path} is not JSON ({exc}); it is damaged", hint) from exc
    problem = _problem(data)
    if problem is not None:
        raise EelogsError(f"state file {path} is damaged: {problem}", hint)
    files = data.get("files") or {}
    if data["version"] == 1:
        files = _migrate(files)
    return {"version": VERSION, "files": files, "journal": data.get("journal") or {}}


_COUNTS = ("offset", "line", "inode")  # every mark has them
_OPTIONAL_COUNTS = ("device", "size", "head_len", "tail_len")
_OPTIONAL_TEXTS = ("path", "head", "tail")


def _problem(data: Any) -> str | None:
    """What is wrong with a state file's content, in words, or None."""
    if not isinstance(data, dict):
        return f"it holds a JSON {type(data).__name__}, not an object"
    if data.get("version") not in (1, VERSION):
        return f"its version is {data.get('version')!r}, not 1 or {VERSION}"
    files, journal = data.get("files", {}), data.get("journal", {})
    if not isinstance(files, dict):
        return f'"files" is a {type(files).__name__}, not an object'
    if not isinstance(journal, dict):
        return f'"journal" is a {type(journal).__name__}, not an object'
    for unit, cursor in journal.items():
        if not isinstance(cursor, str):
            return f"the journal cursor of {unit} is not a string"
    for key, mark in files.items():
        if not isinstance(mark, dict):
            return f"the mark of file {key} is not an object"
        for name in (*_COUNTS, *_OPTIONAL_COUNTS):
            value = mark.get(name)
            if (name in _COUNTS or value is not None) and not _is_count(value):
                return f"{name} of file {key} is {_short(value)}, not a whole number >= 0"
        for name in _OPTIONAL_TEXTS:
            if mark.get(name) is not None and not isinstance(mark[name], str):
                return f"{name} of file {key} is not a string"
    return None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 63


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def lock_state(path: Path) -> IO[bytes]:
    """Hold `<state>.lock` until the returned file is closed (at exit, at the latest): two
    runs sharing a state file would both read from the same offsets and both report
    everything. A second run waits up to EELOGS_STATE_WAIT seconds (30), then gives up."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = open(lock_path, "ab")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise EelogsError(
            f"cannot create the lock file {lock_path}: {exc.strerror or exc}",
            "check that the folder of --state exists and is writable",
        ) from exc
    wait = _lock_wait()
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise EelogsError(
                    f"another eelogs run holds the state file {path} (waited {wait:g} s)",
                    f"let it finish, or check for a stuck run (fuser {lock_path}); "
                    "EELOGS_STATE_WAIT sets the wait in seconds",
                ) from None
            time.sleep(0.1)


def _lock_wait() -> float:
    text = os.environ.get("EELOGS_STATE_WAIT", "").strip()
    try:
        wait = float(text) if text else 30.0
    except ValueError:
        wait = 30.0
    return wait if 0 <= wait < 86400 else 30.0


def _migrate(old: dict[str, Any]) -> dict[str, Any]:
    """Version 1 marks, keyed by the path as typed, become marks keyed by identity. A
    relative path is taken from today's folder, the best guess for a cron job."""
    files: dict[str, Any] = {}
    for name, mark in old.items():
        where = Path(name).absolute()
        if not isinstance(mark, dict) or "inode" not in mark:
            continue
        found = _look(where)
        if found is None or found.inode != mark["inode"]:
            rotated = _find_inode(where.parent, None, mark["inode"], where)
            found = _look(rotated) if rotated is not None else None
        if found is not None:  # a file that is gone has nothing left to resume
            files[_key(found)] = {**mark, **_mark_of(found, where.resolve())}
    return files


def plan_inputs(
    inputs: list[Input], state: dict[str, Any], notes: list[str] | None = None
) -> list[Input]:
    """Inputs adjusted to start where the last run stopped (and rotated remainders first).
    A file given twice, under any names, is read once. `notes` hears of files read again
    from their start because they were truncated or rewritten since."""
    notes = notes if notes is not None else []
    planned: list[Input] = []
    taken: set[str] = set()
    for inp in inputs:
        if inp.argv and inp.argv[0] == "journalctl":
            cursor = state["journal"].get(inp.name)
            planned.append(replace(inp, argv=_after_cursor(inp.argv, cursor)) if cursor else inp)
        elif inp.path is not None:
            planned.extend(_plan_file(inp, state["files"], taken, notes))
        else:
            planned.append(inp)
    return planned


def _after_cursor(argv: tuple[str, ...], cursor: str) -> tuple[str, ...]:
    """journalctl refuses --since together with --after-cursor. The cursor goes to
    journalctl and eelogs' own time window drops what is before --since, so the later of
    the two wins."""
    return (*drop_options(argv, {"--since"}), "--after-cursor", cursor)


def _plan_file(inp: Input, marks: dict[str, Any], taken: set[str], notes: list[str]) -> list[Input]:
    path = inp.path
    assert path is not None
    seen = _look(path)
    if seen is None:  # not a regular file, or gone since it was listed: read it as it is
        return [inp]
    if _key(seen) in taken:  # the same file under a second name
        return []
    taken.add(_key(seen))
    mark = _same_file(marks.get(_key(seen)), seen)
    inp = replace(inp, seen=seen)
    if is_compressed(path):  # rotated archives do not grow: read once
        return [] if mark and mark.get("size") == seen.size else [inp]
    fresh = replace(inp, whole_lines_only=True)
    if mark is not None:
        if seen.size >= mark["offset"] and _same_before(path, mark):
            return [replace(fresh, start_offset=mark["offset"], start_line=mark["line"])]
        # truncated, or rewritten in place (copytruncate) and grown past the old offset
        how = "is shorter than" if seen.size < mark["offset"] else "was rewritten since"
        notes.append(f"{path} {how} the last run (--state): read again from its start")
        return [fresh]
    return [*_rotated_rest(inp, marks, taken), fresh]


def _rotated_rest(inp: Input, marks: dict[str, Any], taken: set[str]) -> list[Input]:
    """The unread end of the file that had this name last time, now under another name."""
    assert inp.path is not None
    here = inp.path.resolve()
    for key, mark in marks.items():
        if mark.get("path") != str(here) or key in taken:
            continue
        rotated = _find_inode(here.parent, mark.get("device"), mark.get("inode"), here)
        seen = _look(rotated) if rotated is not None else None
        if rotated is None or seen is None or _same_file(mark, seen) is None:
            continue
        if is_compressed(rotated):  # compressed under its new name: the end is out of reach
            return []
        taken.add(key)
        return [
            Input(
                name=str(rotated),
                path=rotated,
                account_hint=inp.account_hint,
                start_offset=mark["offset"],
                start_line=mark["line"],
                seen=seen,
            )
        ]
    return []


def _look(path: Path) -> FileSeen | None:
    """The file's identity and first bytes; None for anything but a regular file (opening
    a FIFO would wait for a writer)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            return FileSeen(info.st_dev, info.st_ino, info.st_size, handle.read(_HEAD))
    except OSError:
        return None


def _before(path: Path, offset: int) -> bytes | None:
    """The up to _HEAD bytes that end at `offset`: what the last run read last."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, offset - _HEAD))
            return handle.read(min(offset, _HEAD))
    except OSError:
        return None


def _same_before(path: Path, mark: dict[str, Any]) -> bool:
    """Whether the bytes before the saved offset are still the ones the last run read. A
    file rewritten in place (logrotate's copytruncate) that has grown past the old offset
    keeps its inode and, often, its first bytes: only this tells it."""
    length = mark.get("tail_len")
    if length is None:  # saved before eelogs kept this
        return True
    found = _before(path, mark["offset"])
    return found is not None and len(found) == length and _digest(found) == mark.get("tail")


def _key(seen: FileSeen) -> str:
    return f"{seen.device}:{seen.inode}"


def _digest(head: bytes) -> str:
    return hashlib.blake2b(head, digest_size=16).hexdigest()


def _same_file(mark: dict[str, Any] | None, seen: FileSeen) -> dict[str, Any] | None:
    """The mark, if `seen` is the file it describes: an inode the system gave to a new
    file after the old one was deleted starts with other bytes."""
    if mark is None or mark.get("inode") != seen.inode:
        return None
    length = mark.get("head_len")
    if length is None:  # migrated from version 1, which kept no head
        return mark
    if len(seen.head) < length or _digest(seen.head[:length]) != mark.get("head"):
        return None
    return mark


def _mark_of(seen: FileSeen, path: Path) -> dict[str, Any]:
    return {
        "device": seen.device,
        "inode": seen.inode,
        "path": str(path),
        "size": seen.size,
        "head": _digest(seen.head),
        "head_len": len(seen.head),
    }


def _find_inode(folder: Path, device: Any, inode: Any, skip: Path) -> Path | None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for entry in entries:
        if entry.path == str(skip) or entry.inode() != inode or not entry.is_file():
            continue
        if device is None or entry.stat().st_dev == device:
            return Path(entry.path)
    return None


def _still_there(mark: dict[str, Any]) -> bool:
    """A mark is kept while its file exists under its name or rotated beside it, so the
    state does not grow with every rotation."""
    if not mark.get("path"):
        return False
    path = Path(mark["path"])
    try:
        info = path.stat()
        if (info.st_dev, info.st_ino) == (mark.get("device"), mark.get("inode")):
            return True
    except OSError:
        pass
    return _find_inode(path.parent, mark.get("device"), mark.get("inode"), path) is not None


def next_state(
    old: dict[str, Any], inputs: list[Input], progress: dict[str, Progress]
) -> dict[str, Any]:
    files = {key: mark for key, mark in old["files"].items() if _still_there(mark)}
    journal: dict[str, Any] = dict(old["journal"])
    for inp in inputs:
        done = progress.get(inp.name)
        if done is None:
            continue
        if inp.argv and inp.argv[0] == "journalctl" and done.cursor:
            journal[inp.name] = done.cursor
        elif inp.path is not None and inp.seen is not None:
            offset = done.offset + done.cut  # cut: bytes the bounded reader dropped
            last = _before(inp.path, offset) or b""
            files[_key(inp.seen)] = {
                **_mark_of(inp.seen, inp.path.resolve()),
                "offset": offset,
                "line": done.line,
                "tail": _digest(last),
                "tail_len": len(last),
            }
    return {"version": VERSION, "files": files, "journal": journal}


def save_state(path: Path, state: dict[str, Any]) -> None:
    write_atomic(path, orjson.dumps(state, option=orjson.OPT_INDENT_2).decode() + "\n")
