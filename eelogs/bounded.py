"""The bounded reader every input goes through: no line is held whole past LINE_MAX bytes.

A line with no newline (a runaway writer, 300 MB of base64, `/dev/zero`) used to be held
whole, at about nine times its size. Here a line is passed on up to LINE_MAX bytes, then
ends with LINE_CUT_MARK and a newline, and its remaining bytes are dropped as they arrive
up to its own newline: memory stays bounded by one read. The parser counts a line that
ends with the mark as unparsed ("line longer than 32 MiB"). A UTF-8 byte order mark at the
start of an input is dropped too, so the first record is not lost to it.

`Progress.cut` (sources.py) counts the bytes dropped beyond those passed on, so a --state
offset is still a position in the file itself.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any, Protocol

from eelogs.errors import EelogsError

# 32 MiB: a record that big is still analysed (tests/test_hostile.py reads a 20 MB one; a
# message body logged whole can be large), and one line costs at most ~10x that in memory.
LINE_MAX = 32 << 20
LINE_CUT_MARK = b"\x1f[eelogs: line cut]"
LINE_CUT_TEXT = LINE_CUT_MARK.decode()
LINE_TOO_LONG = "line longer than 32 MiB"
BOM = b"\xef\xbb\xbf"
FILE_MAX = 64 << 20  # --state and --baseline files: a real one is a few MB at most


class CutCounter(Protocol):
    """What the reader reports to: sources.Progress (its `cut` field)."""

    cut: int


class BoundedLines(io.RawIOBase):
    """`inner`'s bytes with every line cut at LINE_MAX and a leading BOM dropped.

    `keep_partial`: whether a last line without newline is used (it is not when --state
    leaves a line still being written for the next run); only then do its dropped bytes
    count as read."""

    def __init__(self, inner: IO[bytes], counter: CutCounter, keep_partial: bool = True):
        super().__init__()
        self._inner, self._counter, self._keep_partial = inner, counter, keep_partial
        self._run = 0  # bytes of the current line passed on so far
        self._dropping = False  # past LINE_MAX: dropping up to the line's newline
        self._dropped = 0
        self._at_start = True
        self._pending = b""
        self._pending_at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self._inner.seekable())

    def tell(self) -> int:
        return 0 if self._at_start else int(self._inner.tell())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Only to an absolute offset, at the start of a line (a --state offset)."""
        if whence != io.SEEK_SET:
            raise io.UnsupportedOperation("the bounded reader seeks to absolute offsets only")
        self._inner.seek(offset)
        self._run, self._dropping, self._dropped = 0, False, 0
        self._at_start = offset == 0
        self._pending, self._pending_at = b"", 0
        return offset

    def readinto(self, buffer: Any) -> int:
        while self._pending_at >= len(self._pending):
            data = self._read(len(buffer))
            if data is None:
                return 0
            self._pending, self._pending_at = self._cut(data), 0
        size = min(len(buffer), len(self._pending) - self._pending_at)
        buffer[:size] = self._pending[self._pending_at : self._pending_at + size]
        self._pending_at += size
        return size

    def _read(self, size: int) -> bytes | None:
        """The next bytes of `inner`, without a leading BOM; None at the end."""
        read = getattr(self._inner, "read1", self._inner.read)
        data: bytes = read(max(size, 1 << 16))
        if self._at_start:
            self._at_start = False
            while data and len(data) < len(BOM) and BOM.startswith(data):
                more = read(len(BOM) - len(data))
                if not more:
                    break
                data += more
            if data.startswith(BOM):
                data = data[len(BOM) :]
                self._counter.cut += len(BOM)
        if data:
            return data
        if self._dropping and self._keep_partial:  # the last line was cut: its end is read
            self._counter.cut += self._dropped - len(LINE_CUT_MARK)
            self._dropping = False
        return None

    def _cut(self, data: bytes) -> bytes:
        """`data` with the part of any line beyond LINE_MAX replaced by the mark."""
        out: list[bytes] = []
        pos, size = 0, len(data)
        while pos < size:
            if self._dropping:
                end = data.find(b"\n", pos)
                if end < 0:
                    self._dropped += size - pos
                    break
                self._dropped += end - pos
                self._counter.cut += self._dropped - len(LINE_CUT_MARK)
                self._dropping, self._dropped, self._run = False, 0, 0
                pos = end  # the newline goes on with what follows
                continue
            room = LINE_MAX - self._run
            reach = min(size, pos + room + 1)
            newline = data.rfind(b"\n", pos, reach)
            if newline >= 0:  # every line up to here fits: the line before `pos` had `run`
                out.append(data[pos : newline + 1])
                self._run, pos = 0, newline + 1
            elif reach == size and size - pos <= room:
                out.append(data[pos:])
                self._run += size - pos
                pos = size
            else:
                out.append(data[pos : pos + room])
                out.append(LINE_CUT_MARK)
                self._dropping, self._dropped = True, 0
                pos += room
        if len(out) == 1:
            return out[0]
        return b"".join(out)

    def close(self) -> None:
        self._inner.close()
        super().close()


def bounded(inner: IO[bytes], counter: CutCounter, keep_partial: bool = True) -> IO[bytes]:
    """`inner` read through BoundedLines, buffered as a stream of lines."""
    return io.BufferedReader(BoundedLines(inner, counter, keep_partial))


def without_bom(text: str) -> str:
    """Text without a leading byte order mark (a journald MESSAGE may start with one)."""
    return text[1:] if text.startswith("\ufeff") else text


def read_capped(path: Path, what: str, hint: str) -> bytes:
    """A whole small file (--state, --baseline), refused past FILE_MAX: `/dev/zero` or a
    wrong path to a huge log would otherwise be read into memory whole. FileNotFoundError
    passes through (the callers treat a missing file as a first run)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(FILE_MAX + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise EelogsError(f"{what} {path} is unreadable: {exc.strerror or exc}", hint) from exc
    if len(data) > FILE_MAX:
        raise EelogsError(
            f"{what} {path} is larger than {FILE_MAX >> 20} MiB, so it is not one eelogs wrote",
            hint,
        )
    return data
