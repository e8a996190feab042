"""Read a zstd stream frame by frame, so a damaged one says so instead of ending quietly.

zstandard's stream_reader reads a truncated frame, or a frame whose header is damaged, as
an empty or short but clean end: a half-written archive would look like a quiet night.
Here each frame goes through its own decompressor; input that runs out inside a frame is
an EOFError (truncated) and garbage is zstandard's ZstdError, which sources.py turns into
"read up to the damage, with a warning".
"""

from __future__ import annotations

import io
from typing import IO, Any

# Compressed bytes fed at a time: zstd can expand 4 KiB of run-length blocks to about 128 MiB,
# so a small step keeps one step's output bounded (a log compresses about 10-20 to 1).
_STEP = 4096


class ZstdFrames(io.RawIOBase):
    """The decompressed bytes of every frame of `source`, in order."""

    def __init__(self, source: IO[bytes], zstandard: Any) -> None:
        super().__init__()
        self._source = source
        self._context = zstandard.ZstdDecompressor()
        self._frame: Any = None  # the decompressor of the frame being read
        self._in_frame = False  # the frame has taken bytes and not yet ended
        self._input = b""
        self._output = b""
        self._output_at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._output_at >= len(self._output):
            if not self._decompress_more():
                return 0
        size = min(len(buffer), len(self._output) - self._output_at)
        buffer[:size] = self._output[self._output_at : self._output_at + size]
        self._output_at += size
        return size

    def _decompress_more(self) -> bool:
        if not self._input:
            self._input = self._source.read(_STEP)
            if not self._input:
                if self._in_frame:
                    raise EOFError("the last zstd frame is cut short")
                return False
        if self._frame is None:
            self._frame = self._context.decompressobj()
        step, self._input = self._input[:_STEP], self._input[_STEP:]
        self._output, self._output_at = self._frame.decompress(step), 0
        self._in_frame = True
        if self._frame.eof:  # the next frame starts with what this one left over
            self._input = self._frame.unused_data + self._input
            self._frame, self._in_frame = None, False
        return True

    def close(self) -> None:
        self._source.close()
        super().close()
