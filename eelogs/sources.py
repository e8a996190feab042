"""Where lines come from: stdin, files, globs, folders, .gz/.zst, journalctl and docker logs.

Every reader streams: lines are yielded as they are read, never collected.
"""

from __future__ import annotations

import contextlib
import glob
import gzip
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from eelogs.bounded import bounded
from eelogs.errors import SourceError
from eelogs.zstd_frames import ZstdFrames

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Bytes of text, UTF-8 and ANSI colour codes included: the rest are NUL and control bytes.
_TEXT_BYTES = bytes([*range(0x20, 0x7F), *range(0x80, 0x100), *b"\t\n\r\f\v\b\x1b"])
# Formats a log folder may also hold (screenshots, PDFs, archives, programs) that hold no
# text log, NUL bytes aside: PNG, JPEG, GIF, PDF, ZIP, ELF, bzip2, xz, 7z, WebP/WAV.
_BINARY_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"PK\x03\x04",
    b"\x7fELF",
    b"BZh",
    b"\xfd7zXZ",
    b"7z\xbc\xaf",
    b"RIFF",
)
# EmailEngine's per-account log download is saved as logs.<account>.txt (research doc 7.1).
_ACCOUNT_LOG_NAME = re.compile(r"^logs\.(?P<account>.+?)\.txt(?:\.gz|\.zst)?$")


@dataclass(frozen=True, slots=True)
class FileSeen:
    """What --state saw of a file when it planned the run: which file it is (device and
    inode, whatever name it was given) and its first bytes, which tell a new file on an inode
    the system reused from the old file that had it."""

    device: int
    inode: int
    size: int
    head: bytes


@dataclass(frozen=True, slots=True)
class Input:
    """One input to read: a path, stdin (`-`), or a command whose stdout is the log."""

    name: str
    path: Path | None = None
    argv: tuple[str, ...] = ()
    account_hint: str | None = None
    hint_on_failure: str | None = field(default=None, compare=False)
    start_offset: int = 0  # bytes already read by an earlier run (--state)
    start_line: int = 0
    whole_lines_only: bool = False  # leave a line still being written for the next run
    seen: FileSeen | None = field(default=None, compare=False)  # set by --state's plan


@dataclass
class Progress:
    """How far an input has been read: byte offset and line count, or journald's cursor."""

    offset: int = 0
    line: int = 0
    cursor: str | None = None
    damaged: str | None = None  # why a compressed input ended early (what came before counts)
    cut: int = 0  # bytes the bounded reader dropped (over-long lines, a BOM) beyond `offset`


def expand_inputs(specs: Sequence[str], skipped: list[Path] | None = None) -> list[Input]:
    """Turn INPUT arguments (files, globs, folders, `-`) into inputs, in a stable order.

    A folder or glob leaves out files that are no text log (see is_text_log) and adds them
    to `skipped`; a file named on its own is read whatever it holds.
    """
    inputs: list[Input] = []
    for spec in specs or ["-"]:
        if spec == "-":
            inputs.append(Input(name="<stdin>"))
            continue
        path = Path(spec)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
            inputs.extend(_file_input(p) for p in _text_logs(files, skipped))
        elif path.is_file() or is_stream(path):
            inputs.append(_file_input(path))
        elif glob.has_magic(spec):
            matches = sorted(Path(p) for p in glob.glob(spec, recursive=True))
            files = [p for p in matches if p.is_file()]
            if not files:
                raise SourceError(
                    f"no file matches {spec!r}",
                    "check the pattern; quote it so the shell does not expand it first",
                )
            inputs.extend(_file_input(p) for p in _text_logs(files, skipped))
        else:
            raise SourceError(
                f"no such file or folder: {spec}",
                "pass a log file, a folder, a glob, or - for stdin",
            )
    return inputs


def is_stream(path: Path) -> bool:
    """A FIFO or a character device: a process substitution (`<(zcat …)` is /dev/fd/63) or
    a named pipe, read once as it comes, like stdin (no seeking, no --state offset)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def _text_logs(files: list[Path], skipped: list[Path] | None) -> list[Path]:
    kept = []
    for path in files:
        if is_text_log(path):
            kept.append(path)
        elif skipped is not None:
            skipped.append(path)
    return kept


def is_text_log(path: Path) -> bool:
    """False for a file that cannot be a log eelogs reads: a known binary format's signature,
    or more than 5% NUL and other control bytes in its first 4 KiB (a folder of PNGs once
    became 28,489 unparsed lines). A log with a damaged line, a stray NUL among text, stays
    a log; gzip and zstd files are logs too: eelogs decompresses them."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return True  # the reader reports why it cannot be read
    if _compressed(head):
        return True
    if head.startswith(_BINARY_MAGIC):
        return False
    return len(head.translate(None, _TEXT_BYTES)) * 20 <= len(head)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _file_input(path: Path) -> Input:
    match = _ACCOUNT_LOG_NAME.match(path.name)
    return Input(name=str(path), path=path, account_hint=match["account"] if match else None)


def journal_input(unit: str, since: str | None, until: str | None) -> Input:
    """`journalctl -u UNIT -o json`, with the time window pushed down to journalctl."""
    # --all: without it, -o json replaces every field over 4096 bytes with null
    argv = ["journalctl", "-u", unit, "-o", "json", "--all", "--no-pager"]
    if since:
        argv += ["--since", since]
    if until:
        argv += ["--until", until]
    return Input(
        name=f"journal:{unit}",
        argv=tuple(argv),
        hint_on_failure=f"check the unit name (systemctl list-units --all '{unit}*'); "
        f"`journalctl -u {unit} -n 5` shows what journalctl says about it",
    )


def docker_input(container: str) -> Input:
    """`docker logs --timestamps CONTAINER`."""
    return Input(
        name=f"docker:{container}",
        argv=("docker", "logs", "--timestamps", container),
        hint_on_failure="check the container name with `docker ps -a`, or save the log "
        "with `docker logs -t NAME > ee.log` and pass the file",
    )


def read_lines(inp: Input, progress: Progress | None = None) -> Iterator[str]:
    """Yield the decoded lines of one input, without line endings.

    Bytes that are not UTF-8 become U+FFFD rather than an error: a log line is data, and a
    damaged one must be counted, not fatal. `progress` is kept up to date for --state.
    """
    progress = progress if progress is not None else Progress()
    progress.offset, progress.line, progress.cut = inp.start_offset, inp.start_line, 0
    if inp.argv:
        for line in _command_lines(inp):
            progress.line += 1
            yield line
        return
    with open_binary(inp, progress) as stream:
        if inp.start_offset:
            stream.seek(inp.start_offset)
        for raw in stream:
            if inp.whole_lines_only and not raw.endswith(b"\n"):
                break  # still being written: the next run reads it whole
            progress.offset += len(raw)
            progress.line += 1
            yield raw.decode("utf-8", "replace").rstrip("\r\n")


def open_binary(inp: Input, progress: Progress | None = None) -> IO[bytes]:
    """The input's bytes, decompressed, through the bounded reader (bounded.py: no line
    longer than LINE_MAX, no leading BOM). A damaged archive ends where the damage starts,
    and `progress.damaged` says why: one half-written .gz must not stop a whole folder run."""
    progress = progress if progress is not None else Progress()
    if inp.path is None:
        stdin: Any = sys.stdin.buffer
        handle = stdin if isinstance(stdin, io.BufferedReader) else io.BufferedReader(stdin)
    else:
        try:
            handle = open(inp.path, "rb")  # noqa: SIM115 - closed by the caller's with-block
        except OSError as exc:
            raise SourceError(
                f"cannot read {inp.path}: {exc.strerror}", "check the path and its permissions"
            ) from exc
    stream = _decompressed(handle, inp.name)
    if stream is not handle:
        stream = io.BufferedReader(_EndsAtDamage(stream, progress))
    return bounded(stream, progress, keep_partial=not inp.whole_lines_only)


_DAMAGE_STEP = 64 * 1024


class _EndsAtDamage(io.RawIOBase):
    """A decompressed stream that reads as ending where the archive is damaged (truncated,
    a bad CRC, trailing garbage, a corrupt frame) and notes why, instead of raising."""

    def __init__(self, inner: IO[bytes], progress: Progress) -> None:
        super().__init__()
        self._inner, self._progress = inner, progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._progress.damaged is not None:
            return 0
        # small steps: what one step decompressed is lost when the damage interrupts it
        size = min(len(buffer), _DAMAGE_STEP)
        read = getattr(self._inner, "read1", self._inner.read)
        try:
            data = read(size)
        except (EOFError, OSError, ValueError, zlib.error) as exc:
            self._progress.damaged = _damage(exc)
            return 0
        except Exception as exc:  # zstandard's ZstdError derives from Exception only
            if type(exc).__name__ != "ZstdError":
                raise
            self._progress.damaged = _damage(exc)
            return 0
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._inner.close()
        super().close()


def _damage(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "it ends before its compressed data does (truncated)"
    return f"it is damaged ({str(exc) or type(exc).__name__})"


def is_compressed(path: Path) -> bool:
    """True for gzip or zstd files, by their first bytes."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError:
        return False
    return _compressed(magic)


def _compressed(head: bytes) -> bool:
    """Whether a file's first bytes are gzip's or zstd's signature."""
    return head.startswith((_GZIP_MAGIC, _ZSTD_MAGIC))


def _decompressed(stream: io.BufferedReader[Any], name: str) -> IO[bytes]:
    magic = stream.peek(4)[:4]
    if magic.startswith(_GZIP_MAGIC):
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    if magic == _ZSTD_MAGIC:
        return _zstd_reader(stream, name)
    return stream


def _zstd_reader(stream: io.BufferedReader[Any], name: str) -> IO[bytes]:
    try:
        from compression import zstd  # Python 3.14+

        return zstd.ZstdFile(stream)  # type: ignore[no-any-return]
    except ImportError:
        pass
    try:
        import zstandard
    except ImportError as exc:  # pragma: no cover - a dependency on Python < 3.14
        raise SourceError(
            f"{name} is zstd-compressed but the zstandard package is missing",
            "pip install zstandard, or decompress with `zstd -dc`",
        ) from exc
    return io.BufferedReader(ZstdFrames(stream, zstandard))


# What to do when the program is not there at all: a wrong unit name is not the problem then.
_MISSING_HINT = {
    "journalctl": "install systemd's journalctl, or run journalctl where the journal is and "
    "pipe it in: journalctl -u emailengine -o cat | eelogs analyze",
    "docker": "install the docker client, or save the log with `docker logs -t NAME > ee.log` "
    "and pass the file",
}
# journalctl's words when this user may not read the system journal: with no journal file
# readable it fails; with only the user's own journal it succeeds and prints a notice.
_JOURNAL_DENIED = (
    "insufficient permissions",
    "permission denied",
    "not seeing messages from other users",
)
_JOURNAL_DENIED_HINT = (
    "add this user to the systemd-journal group (sudo usermod -aG systemd-journal USER, then "
    "log in again), or run eelogs with sudo"
)


def _command_lines(inp: Input) -> Iterator[str]:
    cmdline, program = " ".join(inp.argv), inp.argv[0]
    try:
        proc = subprocess.Popen(
            inp.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError as exc:
        raise SourceError(
            f"cannot run `{cmdline}`: {program} is not installed (not found on PATH)",
            _MISSING_HINT.get(program, inp.hint_on_failure),
        ) from exc
    except PermissionError as exc:
        raise SourceError(
            f"cannot run `{cmdline}`: {program} is not executable by this user",
            f"check the permissions of {shutil.which(program) or program}",
        ) from exc
    assert proc.stdout is not None and proc.stderr is not None
    stderr_tail: list[bytes] = []
    drain = threading.Thread(target=_drain, args=(proc.stderr, stderr_tail), daemon=True)
    drain.start()
    lines = 0
    try:
        for raw in bounded(proc.stdout, Progress()):
            lines += 1
            yield raw.decode("utf-8", "replace").rstrip("\r\n")
    finally:
        if proc.poll() is None and sys.exc_info()[0] is not None:
            proc.kill()
        status = proc.wait()
        drain.join(timeout=5)
    said = _said(b"".join(stderr_tail))
    if status != 0:
        raise _failed(inp, status, said)
    if lines == 0 and program == "journalctl":
        _explain_empty_journal(inp, said)


def _failed(inp: Input, status: int, said: list[str]) -> SourceError:
    """The program's own first word on the failure, and the hint that fits it."""
    how = f"was killed by signal {-status}" if status < 0 else f"exited with status {status}"
    detail = f": {said[0].rstrip('.')}" if said else ""
    hint = inp.hint_on_failure
    if inp.argv[0] == "journalctl" and _denied(said):
        hint = _JOURNAL_DENIED_HINT
    return SourceError(
        f"`{' '.join(inp.argv)}` {how}{detail}; the log was not read to its end", hint
    )


def _said(stderr: bytes) -> list[str]:
    """A program's stderr as its non-blank lines."""
    lines = stderr.decode("utf-8", "replace").splitlines()
    return [line.strip() for line in lines if line.strip()]


def _denied(said: list[str]) -> bool:
    return any(words in line.lower() for line in said for words in _JOURNAL_DENIED)


def _explain_empty_journal(inp: Input, said: list[str]) -> None:
    """journalctl succeeded and printed nothing. That is fine when the window or the saved
    cursor holds nothing new; not when the journal is unreadable or the unit never logged."""
    if _denied(said):
        notice = said[0].removeprefix("Hint:").strip().rstrip(".")
        raise SourceError(
            f"`{' '.join(inp.argv)}` printed no entries: this user may not read the system "
            f"journal ({notice})",
            _JOURNAL_DENIED_HINT,
        )
    unit = inp.argv[inp.argv.index("-u") + 1] if "-u" in inp.argv[:-1] else None
    if unit is None or "--after-cursor" in inp.argv:  # a saved cursor: the unit has logged
        return
    probe = Input(
        name=inp.name,
        argv=(*drop_options(inp.argv, {"--since", "--until", "--after-cursor"}), "-n", "1"),
        hint_on_failure=inp.hint_on_failure,
    )
    found = subprocess.run(probe.argv, capture_output=True, stdin=subprocess.DEVNULL, check=False)
    if found.returncode != 0:
        raise _failed(probe, found.returncode, _said(found.stderr))
    if not found.stdout.strip():
        raise SourceError(
            f"the journal has no entries at all for unit {unit}",
            f"check the unit name: `systemctl list-units --all '{unit}*'` lists the units "
            "(EmailEngine's is often emailengine)",
        )


def drop_options(argv: Sequence[str], names: set[str]) -> tuple[str, ...]:
    """`argv` without the options in `names` and the value that follows each."""
    kept: list[str] = []
    words = iter(argv)
    for word in words:
        if word in names:
            next(words, None)
        else:
            kept.append(word)
    return tuple(kept)


def _drain(stream: IO[bytes], tail: list[bytes]) -> None:
    kept = 0
    for chunk in iter(lambda: stream.read(4096), b""):
        tail.append(chunk)
        kept += len(chunk)
        while kept > 65536 and len(tail) > 1:
            kept -= len(tail.pop(0))


def is_terminal_stdin() -> bool:
    """True when nothing is piped in: `eelogs analyze` alone should explain itself."""
    try:
        return os.isatty(sys.stdin.fileno())
    except (ValueError, OSError):
        return False


class ProgressBar:
    """`eelogs: reading big.log  120 MB of 300 MB (40%)` on stderr, only on a terminal, at
    most five times a second; gone when the input is read."""

    def __init__(self, inp: Input) -> None:
        self.name = inp.name
        self.start = inp.start_offset
        self.shown = False
        self.on = sys.stderr.isatty()
        self.total: int | None = None
        # only a regular file: peeking at a pipe's first bytes would take them from the reader
        if self.on and inp.path is not None and inp.path.is_file() and not is_compressed(inp.path):
            with contextlib.suppress(OSError):
                self.total = inp.path.stat().st_size - inp.start_offset
        self._next = time.monotonic() + 0.5  # short inputs never show a bar

    def update(self, offset: int) -> None:
        """`offset`: where reading has got to in the input."""
        if not self.on or time.monotonic() < self._next:
            return
        done = offset - self.start
        self._next = time.monotonic() + 0.2
        text = f"eelogs: reading {self.name}  {done / 1e6:,.0f} MB"
        if self.total:
            text += f" of {self.total / 1e6:,.0f} MB ({min(100, 100 * done // self.total)}%)"
        sys.stderr.write("\r\x1b[2K" + text)
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
