"""What the fast path may skip, derived from the catalog and the state tables.

A line takes the fast path only when no pattern can match it. For every [[match]] block this
module builds a polars test that is true whenever the block could hold: `msg` conditions are
tested exactly on the extracted `msg`, other string tests become substrings the raw line must
contain, and what cannot be decided that way (regexes, numbers, missing fields) counts as
"could hold". A line passing some block's test is classified by the per-line path, so the fast
path can only be slower than necessary, never wrong, whatever the catalog says.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any

import orjson
import polars as pl

from eelogs.catalog import Block, Catalog, Condition
from eelogs.collect import _VERSION_MSGS
from eelogs.dispatch import needs_err
from eelogs.parse import Record
from eelogs.states import BY_MSG, CONDITIONAL, HEALTHY, next_state

LINE, MSG, LEVEL = pl.col("line"), pl.col("msg"), pl.col("level")
# Rows holding these go to the per-line path: an error object, or escapes that could hide
# a needle (`\u0041`, `\/`).
ROUTE_NEEDLES = ('"err"', "\\u", "\\/")
# State effects a fast row may have; the others (errors, pauses, closes) are rare and
# depend on more than the message, so their lines take the per-line path.
FAST_EFFECTS = frozenset({"connecting", "syncing", "connected", "healthy"})


@dataclass(frozen=True, slots=True)
class FastPlan:
    maybe_by_msg: pl.Expr  # cheap first look: a message some block or route cares about
    needles: tuple[str, ...]  # substrings worth a second look (one per block, plus routes)
    per_line: pl.Expr  # exact enough: this row must take the per-line path
    effects: dict[str, str]  # message → kind of state effect, for fast rows
    probes: dict[str, Record]  # message → a record carrying it, to replay its effect


def build_plan(catalog: Catalog) -> FastPlan:
    blocks = [b for p in catalog.patterns for b in p.match if not needs_err(b)]
    tests = [_block_test(b) for b in blocks]
    effects, routed = _effects()
    routed_msgs = sorted(routed | set(_VERSION_MSGS))
    msg_parts = [t.msg for t in tests if t.msg is not None]
    maybe_by_msg = reduce(lambda a, b: a | b, msg_parts, MSG.is_in(routed_msgs))
    needles = set(ROUTE_NEEDLES)
    always = False
    for test in tests:
        if test.msg is None:
            if test.needles:
                needles.add(max(test.needles, key=len))
            else:
                always = True
    exact = [t.expr for t in tests]
    per_line = reduce(
        lambda a, b: a | b,
        exact,
        LINE.str.contains_any(list(ROUTE_NEEDLES)) | MSG.is_in(routed_msgs),
    )
    if always:
        maybe_by_msg = pl.lit(True)
    probes = {msg: _probe(msg) for msg in effects}
    return FastPlan(maybe_by_msg, tuple(sorted(needles)), per_line, effects, probes)


@dataclass(frozen=True, slots=True)
class _Test:
    expr: pl.Expr
    msg: pl.Expr | None  # the part that only looks at msg, when there is one
    needles: tuple[str, ...]


def _block_test(block: Block) -> _Test:
    parts: list[pl.Expr] = []
    msg_parts: list[pl.Expr] = []
    needles: list[str] = []
    for cond in block.conditions:
        expr = _msg_test(cond) if cond.path == "msg" else _level_test(cond)
        if expr is not None:
            parts.append(expr)
            if cond.path == "msg":
                msg_parts.append(expr)
            continue
        options = _needles(cond)
        if options:
            parts.append(reduce(lambda a, b: a | b, (_has(n) for n in options)))
            if len(options) == 1:
                needles.append(options[0])
    expr = reduce(lambda a, b: a & b, parts, pl.lit(True))
    msg = reduce(lambda a, b: a & b, msg_parts) if msg_parts else None
    return _Test(expr, msg, tuple(needles))


def _msg_test(cond: Condition) -> pl.Expr | None:
    texts = [v for v in cond.values if isinstance(v, str)]
    if cond.modifier == "re" and texts:
        return _regex_test(texts)
    if len(texts) != len(cond.values) or cond.modifier not in _STRING_TESTS:
        return None
    if cond.modifier == "eq":
        return MSG.is_in(texts)
    tests: list[pl.Expr] = [_STRING_TESTS[cond.modifier](v) for v in texts]
    return reduce(lambda a, b: a | b, tests)


_STRING_TESTS: dict[str, Any] = {
    "eq": None,
    "startswith": lambda v: MSG.str.starts_with(v),
    "endswith": lambda v: MSG.str.ends_with(v),
    "contains": lambda v: MSG.str.contains(v, literal=True),
}


def _regex_test(patterns: list[str]) -> pl.Expr | None:
    """A `msg` regex run by polars. Rust's regex agrees with Python's on ASCII text for the
    patterns it accepts; a message with other characters counts as a possible match."""
    try:
        for pattern in patterns:
            pl.select(pl.lit("").str.contains(pattern))
    except pl.exceptions.PolarsError:
        return None
    unsure = MSG.str.len_bytes() != MSG.str.len_chars()
    return reduce(lambda a, b: a | b, (MSG.str.contains(p) for p in patterns), unsure)


def _level_test(cond: Condition) -> pl.Expr | None:
    numbers = [v for v in cond.values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if cond.path != "level" or not numbers or len(numbers) != len(cond.values):
        return None
    if cond.modifier == "gte":
        return reduce(lambda a, b: a | b, (LEVEL.ge(v) for v in numbers))
    if cond.modifier == "lt":
        return reduce(lambda a, b: a | b, (LEVEL.lt(v) for v in numbers))
    return LEVEL.is_in(numbers) if cond.modifier == "eq" else None


def _needles(cond: Condition) -> list[str]:
    """Substrings the raw line must contain when `cond` holds (any one of them), or [] when
    nothing can be said."""
    if cond.modifier == "exists":
        key = next((k for k in reversed(cond.path.split(".")) if not k.isdigit()), "")
        return [_json(key)] if cond.values[0] and key and cond.path != "error_text" else []
    if cond.modifier == "eq" and all(_literal(v) for v in cond.values):
        # JSON.stringify writes true, false and integers one way only
        return [orjson.dumps(v).decode() for v in cond.values]
    texts = [v for v in cond.values if isinstance(v, str) and v]
    if len(texts) != len(cond.values) or cond.modifier not in _STRING_TESTS:
        return []
    if cond.path == "error_text":
        # error_text joins several fields with newlines: only a test within one field helps
        single = [_json(v)[1:-1] for v in texts if "\n" not in v]
        return single if cond.modifier == "contains" and len(single) == len(texts) else []
    return [_json(v) if cond.modifier == "eq" else _json(v)[1:-1] for v in texts]


def _literal(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, int) and value >= 0)


def _json(text: str) -> str:
    return orjson.dumps(text).decode()


def _has(needle: str) -> pl.Expr:
    return LINE.str.contains(needle, literal=True)


def _effects() -> tuple[dict[str, str], set[str]]:
    """Split the messages that move an account's state into those a fast row may carry (with
    the kind of their effect: equal kinds in a row act like the first and last of them) and
    those routed to the per-line path."""
    fast: dict[str, str] = {}
    routed: set[str] = set()
    for msg in (*BY_MSG, *HEALTHY, *CONDITIONAL):
        probe = _probe(msg)
        if msg in HEALTHY:
            fast[msg] = "healthy"
            continue
        effect = next_state(probe, "unknown")
        if effect in FAST_EFFECTS and next_state(probe, "authenticationError") == effect:
            fast[msg] = effect
        else:
            routed.add(msg)
    return fast, routed


def _probe(msg: str) -> Record:
    return Record(None, 30, msg, "a", None, (), None, None, None, None, {"msg": msg}, "", "", 0)
