"""Inputs in the order of their first record's time.

Rotated logs are named in no useful order (`ee.log.10.gz` sorts before `ee.log.2.gz`, and
both come after `ee.log` was renamed), while an account's state depends on the order its
records arrive in: read in name order, last week's failure would be the account's state
today. So files are read oldest first, by the time of their first record, as the parser
itself reads it.
"""

from __future__ import annotations

import contextlib
import math
from contextlib import closing
from itertools import islice

from eelogs.errors import EelogsError
from eelogs.parse import Record
from eelogs.pipeline import read_entries
from eelogs.sources import Input, is_stream

PEEK_LINES = 50  # a log's first record with a time is among its first entries


def in_time_order(inputs: list[Input]) -> list[Input]:
    """The files among `inputs` sorted by the time of their first record, in the places
    files held; stdin, pipes and commands keep their place (reading them to peek would use
    them up). Ties, and files whose first lines hold no time (sorted last), keep the order
    they were given in."""
    slots = [i for i, inp in enumerate(inputs) if _peekable(inp)]
    if len(slots) < 2:
        return inputs
    files = sorted((inputs[i] for i in slots), key=first_time)
    ordered = list(inputs)
    for slot, inp in zip(slots, files, strict=True):
        ordered[slot] = inp
    return ordered


def _peekable(inp: Input) -> bool:
    return inp.path is not None and not inp.argv and not is_stream(inp.path)


def first_time(inp: Input) -> float:
    """The time (epoch ms) of the input's first record with one, or infinity."""
    with contextlib.suppress(OSError, EelogsError), closing(read_entries([inp])) as entries:
        for entry in islice(entries, PEEK_LINES):
            if isinstance(entry, Record) and entry.time_ms is not None:
                return entry.time_ms
    return math.inf
