"""A record's signature: the values of every field some set of rules reads, and nothing else.

Two records with the same signature get the same answer from those rules, so the answer is
worked out once per signature and remembered: a burst of the same failure, or the same
healthy chatter from thousands of accounts, costs one evaluation. What the signature holds is
derived from the rules' own paths (and from what the virtual fields `signal` and
`error_text` read), never listed by hand. A path the rules only test for presence (`|exists`)
enters as present or absent, so an account id or a thread id does not split signatures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from eelogs.parse import Record
from eelogs.signals import TOP_KEYS

# Top-level keys the virtual fields read besides `err`: error_text's texts and the places
# signals.py looks for codes.
_TEXT_KEYS = ("response", "error", "failedReason", "reason")
_ALWAYS = frozenset({"msg", "level", "component", "context"})  # context: from the others
MEMO_LIMIT = 50_000  # messages with ids make new signatures forever: the memo is bounded

Values = Callable[[Record, str], list[Any]]


class Signature:
    """Builds the signature of records for rules that read `reads`: (path, modifier) pairs,
    `value` for a field a rule extracts."""

    def __init__(self, reads: Iterable[tuple[str, str]], values: Values) -> None:
        by_value: set[str] = set()
        by_presence: set[str] = set()
        self.reads_err = False
        for path, modifier in reads:
            if path in _ALWAYS:
                continue
            if path in ("signal", "error_text") or path == "err" or path.startswith("err."):
                self.reads_err = True
                if path in ("signal", "error_text"):
                    by_value.update(TOP_KEYS if path == "signal" else _TEXT_KEYS)
                continue
            (by_presence if modifier == "exists" else by_value).add(path)
        self._values = values
        self._by_value = tuple(sorted(by_value))
        self._by_presence = tuple(sorted(by_presence - by_value))
        self._tops = {p: p.split(".", 1)[0] for p in (*self._by_value, *self._by_presence)}

    def of(self, record: Record) -> bytes | None:
        """The signature: a 128-bit digest of every value the rules read, written down in
        one JSON text (so a remembered answer costs a few dozen bytes, not a copy of the
        error). None when a value cannot be written down (then no memo)."""
        data, tops = record.data, self._tops
        fields = {
            path: self._values(record, path)
            for path in self._by_value
            if path == "account" or tops[path] in data
        }
        present = [
            bool(self._values(record, p))
            for p in self._by_presence
            if p == "account" or tops[p] in data
        ]
        err = record.err if self.reads_err else None
        try:
            text = orjson.dumps(
                [record.level, record.msg, record.components, err, fields, present],
                option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
            )
        except (TypeError, orjson.JSONEncodeError):
            return None
        return hashlib.blake2b(text, digest_size=16).digest()
