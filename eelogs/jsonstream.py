"""The JSON report as a stream of text pieces: the account rows are written one at a time.

The text is the same, byte for byte, as `orjson.dumps(report, option=OPT_INDENT_2)` of a
report whose `accounts` is a list (then json_safe, then a newline): a report with millions
of accounts is never held whole, as rows nor as text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from eelogs.accountrows import LazyAccounts
from eelogs.safetext import json_safe

_OPTION = orjson.OPT_INDENT_2
# With two-space indentation a top-level key is the only one that starts a line with exactly
# two spaces, and a string in JSON holds no raw newline: this marks one place in the text.
_SLOT = '\n  "accounts": 0'
_ROW_INDENT = "\n    "  # a row is an item of a list under a top-level key
_PIECE_CHARS = 1 << 20  # rows are handed on in pieces of about a megabyte


def json_pieces(report: Mapping[str, Any]) -> Iterator[str]:
    """The JSON report, piece by piece; joined, the pieces are the whole report."""
    accounts = report.get("accounts")
    if not isinstance(accounts, LazyAccounts):
        yield json_safe(orjson.dumps(report, option=_OPTION).decode()) + "\n"
        return
    text = orjson.dumps({**report, "accounts": 0}, option=_OPTION).decode()
    head, tail = text.split(_SLOT, 1)
    yield json_safe(head) + '\n  "accounts": '
    yield from _rows(accounts)
    yield json_safe(tail) + "\n"


def _rows(accounts: LazyAccounts) -> Iterator[str]:
    """The accounts list as orjson indents it at that depth: `[]` when it is empty."""
    if not len(accounts):
        yield "[]"
        return
    piece: list[str] = ["["]
    size, first = 0, True
    for row in accounts:
        text = orjson.dumps(row, option=_OPTION).decode().replace("\n", _ROW_INDENT)
        piece.append(("" if first else ",") + _ROW_INDENT + text)
        size, first = size + len(text), False
        if size >= _PIECE_CHARS:
            yield json_safe("".join(piece))
            piece, size = [], 0
    piece.append("\n  ]")
    yield json_safe("".join(piece))


def plain(report: Mapping[str, Any]) -> dict[str, Any]:
    """The report with its accounts as a list of rows: plain data, as `json.dumps` and
    comparisons take it (every row is made: for tests and small reports)."""
    accounts = report.get("accounts")
    if isinstance(accounts, LazyAccounts):
        return {**report, "accounts": list(accounts)}
    return dict(report)
