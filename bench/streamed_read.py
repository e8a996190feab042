"""The least a streaming pipeline with flat memory does to every line, in polars.

    python bench/streamed_read.py FILE

The file goes through in 12 MB blocks of whole lines, two of them in flight. polars' own
NDJSON reader parses each block with an explicit 4-column schema (so every line is also
checked to be JSON), and the rows are counted per account. No catalog, no state, no report:
what is left of issue 6's 1.5x budget after this, and after eelogs' start and report, is
what the analysis itself may take.
"""

from __future__ import annotations

import io
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import polars as pl

BLOCK = 12 << 20  # eelogs' own block size
IN_FLIGHT = 2  # one block parsed while the next is read: the fastest of 1, 2 and 3 here
SCHEMA = {"level": pl.Int64, "time": pl.Int64, "msg": pl.String, "account": pl.String}


def blocks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as f:
        rest = b""
        while chunk := f.read(BLOCK):
            cut = chunk.rfind(b"\n") + 1
            if not cut:  # a line longer than a block
                rest += chunk
                continue
            yield rest + chunk[:cut]
            rest = chunk[cut:]
        if rest:
            yield rest


def counted(block: bytes) -> pl.DataFrame:
    return pl.read_ndjson(io.BytesIO(block), schema=SCHEMA).group_by("account").len()


def main(path: str) -> None:
    parts: list[pl.DataFrame] = []
    pending: deque[Future[pl.DataFrame]] = deque()
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        for block in blocks(path):
            pending.append(pool.submit(counted, block))
            if len(pending) >= IN_FLIGHT:
                parts.append(pending.popleft().result())
        parts += [future.result() for future in pending]
    print(pl.concat(parts).group_by("account").agg(pl.col("len").sum()).height)


if __name__ == "__main__":
    main(sys.argv[1])
