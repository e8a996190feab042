"""The one writer of what eelogs writes: the report (`-o`, or stdout), the JSON copy
(`--save-json`) and the state file (`--state`).

A regular file (or a path that does not exist yet) is replaced atomically: the text goes to a
temporary file beside it, which is then renamed over it, so a reader never sees half a report.
A symbolic link is followed and its target replaced, the link stays. A device or a FIFO
(`/dev/null`, `/dev/stdout`, `<(…)`) is written straight to, never replaced. `-` is stdout.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from eelogs.errors import OutputError
from eelogs.safetext import visible

NAME_MAX = 255  # bytes in one file name (Linux, macOS)
PATH_MAX = 4096  # bytes in a whole path, with its final NUL
_HINT = "check the path, the free space and permissions"


def write_output(path: Path | None, text: str | Iterable[str], compress: bool = False) -> None:
    """Write `text` (gzipped when `compress`) to `path`; None or `-` is stdout. `text` may
    come in pieces (a JSON report with millions of accounts): each is written as it comes,
    and the bytes are the same as for the pieces joined."""
    pieces = _payload([text] if isinstance(text, str) else text, compress)
    if path is None or str(path) == "-":
        write_stdout(pieces)
        return
    kind, where = resolve(path)
    if kind == "stdout":
        write_stdout(pieces)
    elif kind == "stream":
        _write_stream(where, pieces)
    else:
        _replace_file(where, pieces)


def _payload(pieces: Iterable[str], compress: bool) -> Iterator[bytes]:
    """The bytes to write, piece by piece. Gzip as `gzip.compress(data, mtime=0)` makes it
    (zlib with a gzip header and no time in it), so a report is the same file every time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31) if compress else None
    for piece in pieces:
        # a lone surrogate cannot be UTF-8: written as its escape, as safetext shows it
        data = piece.encode("utf-8", "backslashreplace")
        yield packer.compress(data) if packer is not None else data
    if packer is not None:
        yield packer.flush()


def write_atomic(path: Path, text: str | Iterable[str], compress: bool = False) -> None:
    """The name the state file and older callers use: the same writer."""
    write_output(path, text, compress)


def write_stdout(payload: bytes | Iterable[bytes]) -> None:
    try:
        sys.stdout.flush()
        for piece in [payload] if isinstance(payload, bytes) else payload:
            sys.stdout.buffer.write(piece)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise  # the reader went away: cli.main ends quietly with 141
    except OSError as exc:
        raise stdout_failed(exc) from exc


def write_text(out: IO[str], text: str, flush: bool = False) -> None:
    """One write to stdout's text stream (classify's rows, watch's lines): a stdout that
    cannot take it (`> /dev/full`) is an Error/Hint, not a traceback."""
    try:
        out.write(text)
        if flush:
            out.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise stdout_failed(exc) from exc


def stdout_failed(exc: OSError) -> OutputError:
    """The error for a stdout that cannot take the output (`> /dev/full`). What is still
    buffered goes to /dev/null, so Python's own flush at exit cannot add a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return OutputError(
        f"cannot write to stdout: {exc.strerror or exc}",
        "check where stdout goes (a full disk, a closed terminal), or write to a file with -o",
    )


def resolve(path: Path) -> tuple[str, Path]:
    """What `path` names, following symbolic links one at a time: ("file", the regular file
    or the new file's path), ("stream", a device or FIFO to write straight to) or
    ("stdout", our own stdout through /dev/stdout or /proc/self/fd/1)."""
    check_length(path)
    current = os.path.abspath(path)
    try:
        for _ in range(40):
            parent = os.path.realpath(os.path.dirname(current))
            current = os.path.join(parent, os.path.basename(current))
            if parent == "/proc" or parent.startswith("/proc/"):
                # /dev/stdout, /dev/fd/N: the file an open descriptor stands for, whatever
                # it is (a pipe, a socket, a terminal, a file the shell opened with >>)
                return _descriptor(path)
            info = os.lstat(current)
            if stat.S_ISLNK(info.st_mode):
                current = os.path.join(parent, os.readlink(current))
                continue
            return _kind(path, current, info.st_mode)
    except FileNotFoundError:
        return "file", Path(current)  # a new file, or the target of a dangling link
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}", _HINT) from exc
    raise OutputError(f"cannot write {path}: too many symbolic links", "check the links")


def _descriptor(path: Path) -> tuple[str, Path]:
    try:
        target = os.stat(path)
        mine = os.fstat(sys.stdout.fileno())
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}", "use -o - for stdout") from exc
    if (target.st_dev, target.st_ino) == (mine.st_dev, mine.st_ino):
        return "stdout", path
    return "stream", path


def _kind(given: Path, current: str, mode: int) -> tuple[str, Path]:
    if stat.S_ISREG(mode):
        return "file", Path(current)
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream", Path(current)
    what = "a folder" if stat.S_ISDIR(mode) else "not a file, a FIFO or a character device"
    raise OutputError(f"cannot write {given}: it is {what}", "give a file name, or - for stdout")


def check_length(path: Path) -> None:
    """An over-long name is a user error, said before the analysis, not a traceback after."""
    encoded = os.fsencode(os.path.abspath(path))
    if len(encoded) >= PATH_MAX:
        raise OutputError(
            f"cannot write {visible(str(path)[:80])}…: the path is {len(encoded)} bytes long",
            f"a path may be at most {PATH_MAX - 1} bytes: choose a shorter one",
        )
    for part in Path(path).parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise OutputError(
                f"cannot write {visible(str(path)[:80])}…: a name in it is "
                f"{len(os.fsencode(part))} bytes long",
                f"a file or folder name may be at most {NAME_MAX} bytes: choose a shorter one",
            )


def check_writable(path: Path) -> None:
    """Fail before a long analysis, not after it, when the report cannot be written."""
    if str(path) == "-":
        return
    kind, where = resolve(path)
    if kind == "stdout":
        return
    if kind == "stream":
        if not os.access(where, os.W_OK):
            raise OutputError(f"cannot write {path}: permission denied", "choose another path")
        return
    folder = where.parent
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write {path}: {folder} is not a folder you may write to",
            "choose another --output path",
        )


def refuse_inputs(path: Path | None, inputs: Iterable[Path], option: str) -> None:
    """`-o` naming one of the inputs would replace the log with its own report."""
    if path is None or str(path) == "-":
        return
    kind, where = resolve(path)
    if kind != "file":
        return
    try:
        mine = os.stat(where)
    except OSError:
        return  # a new file cannot be an input
    for given in inputs:
        try:
            other = os.stat(given)
        except OSError:
            continue
        if (mine.st_dev, mine.st_ino) == (other.st_dev, other.st_ino):
            raise OutputError(
                f"{option} {path} is one of the inputs ({given}): writing there would "
                "replace the log with its report",
                f"choose another {option} path",
            )


def _write_stream(path: Path, payload: Iterable[bytes]) -> None:
    """A device or FIFO: opened and written, never replaced. O_APPEND: a file behind
    /dev/fd/N that the shell opened with >> is appended to, as the shell meant."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY)
        with os.fdopen(fd, "wb") as handle:
            for piece in payload:
                handle.write(piece)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}", _HINT) from exc


def _replace_file(path: Path, payload: Iterable[bytes]) -> None:
    """Write a temporary file beside `path`, then rename it over `path`: a cron job never
    leaves half a report, and a killed run leaves the previous one intact."""
    from eelogs import temporaries

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporaries.remove_stale(path.parent)
        mode, owner = _mode_of(path)
        fd, temp = tempfile.mkstemp(
            prefix=temporaries.prefix(path.name), suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise OutputError(
            f"cannot write {path}: {exc.strerror}", "choose a folder you may write to"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in payload:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
            if owner is not None:
                _keep_owner(handle.fileno(), owner)
        os.replace(temp, path)
    except BaseException as exc:  # Ctrl-C included: no temporary is left behind
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror}", _HINT) from exc
        raise


def _mode_of(path: Path) -> tuple[int, tuple[int, int] | None]:
    """A replaced file keeps its mode (and owner, where we may); a new one gets what the
    umask allows, as `>` in the shell would give it. Reports name accounts and errors: a
    0600 report stays 0600, and `umask 077` is respected."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return 0o666 & ~current_umask(), None
    return stat.S_IMODE(info.st_mode) & 0o777, (info.st_uid, info.st_gid)


def _keep_owner(fd: int, owner: tuple[int, int]) -> None:
    # only root may give a file away; the mode still protects it
    with contextlib.suppress(OSError):
        os.fchown(fd, *owner)


def current_umask() -> int:
    """The process umask. Linux shows it in /proc; elsewhere it can only be read by
    setting it, and is set straight back."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
