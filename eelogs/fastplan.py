"""What the fast path may skip, derived from the catalog and the state tables.

A line takes the fast path only when no pattern can match it. For every [[match]] block this
module keeps a test that is true whenever the block could hold: `msg` and `level` conditions
are tested exactly, by the classifier itself, once per distinct value; other string, boolean
and integer tests become substrings the raw line must contain; what cannot be decided that
way (regexes on other fields, numbers, missing fields) counts as "could hold". A line passing
some block's test is classified by the per-line path, so the fast path can only be slower
than necessary, never wrong, whatever the catalog says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
import polars as pl
import regex

from eelogs.accountrules import STATES, account_rules, state_messages
from eelogs.catalog import Catalog, Pattern
from eelogs.collect import _VERSION_MSGS
from eelogs.conditions import VIRTUAL_PATHS, Block, Condition
from eelogs.dispatch import needs_err
from eelogs.match import Classifier
from eelogs.parse import Record
from eelogs.signals import needles as signal_needles
from eelogs.states import next_state

LINE, MSG = pl.col("line"), pl.col("msg")
# Rows holding these go to the per-line path: an error object, or escapes that could hide
# a needle (`\u0041`, `\/`).
ROUTE_NEEDLES = ('"err"', "\\u", "\\/")
# State effects a fast row's message may have by itself; messages with other effects (errors,
# pauses) are rare, so their lines take the per-line path. Messages whose effect depends on
# other fields too (CONDITIONAL) replay from those fields (STATE_KEYS, _variant). All of it
# is derived from the state rules (patterns/_rules/states.toml).
FAST_EFFECTS = frozenset({"connecting", "syncing", "connected", "healthy"})
_FAST_LEVELS = range(10, 40)  # the levels a fast row may have


@dataclass(frozen=True, slots=True)
class _Test:
    """One [[match]] block as the fast path sees it."""

    pattern: Pattern
    exact: tuple[Condition, ...]  # msg and level conditions, tested exactly
    groups: tuple[tuple[str, ...], ...]  # the line holds one needle of each group
    by_msg: bool  # the block tests msg: a message tells whether it can hold


class FastPlan:
    """Routing decisions for one run, memoised: which messages deserve a second look, and
    which (message, level, needles found) rows must take the per-line path."""

    def __init__(self, catalog: Catalog) -> None:
        self._judge = Classifier(catalog)  # its own regex-timeout count, never reported
        blocks = [(p, b) for p in catalog.patterns for b in p.match if not needs_err(b)]
        tests = [_test(p, b) for p, b in blocks]
        self.effects, routed = _effects()
        self._routed = frozenset(routed | set(_VERSION_MSGS))
        self.probes = {msg: probe(msg) for msg in self.effects}
        self.conditional = tuple(CONDITIONAL)
        self._variants: dict[tuple[str, str], Record | bool] = {}
        self.needles = tuple(
            sorted({*ROUTE_NEEDLES, *(n for t in tests for g in t.groups for n in g)})
        )
        self.hit_needles, self.everything = self._hits(tests)
        self.found = _found(self.needles)
        self._by_eq: dict[str, list[_Test]] = {}
        self._quick: list[_Test] = []  # their first msg condition has a quick pre-check
        self._other: list[_Test] = []  # a message rules them out only by evaluation
        self._free: list[_Test] = []  # no msg condition: every message is a candidate
        checks: list[str] = []  # the quick pre-checks of self._quick
        for test in tests:
            first = _first_msg(test)
            if first is None:
                self._free.append(test)
            elif first.modifier == "eq":
                for value in {v for v in first.values if isinstance(v, str)}:
                    self._by_eq.setdefault(value, []).append(test)
            elif check := _quick_check(first):
                self._quick.append(test)
                checks.append(check)
            else:
                self._other.append(test)
        self._could = _combined(checks)
        self._named = pl.Series([*sorted(self._by_eq), *sorted(self._routed)], dtype=pl.String)
        self._candidates: dict[str, list[_Test]] = {}
        self._telling: set[str] = set()
        self._route: dict[tuple[str | None, int, tuple[int, ...]], bool] = {}

    def _hits(self, tests: list[_Test]) -> tuple[tuple[str, ...], bool]:
        """Needles one of which a line holds when a block without msg conditions could hold
        for it, and whether some such block has none (every line deserves a second look)."""
        hits, everything = set(ROUTE_NEEDLES), False
        for test in tests:
            if test.by_msg or not any(self._exact(test, None, lv) for lv in _FAST_LEVELS):
                continue
            if test.groups:  # one needle of each group must be there: any group will do
                hits.update(max(test.groups, key=_selectivity))
            else:
                everything = True
        return tuple(sorted(hits)), everything

    def telling(self, msgs: pl.Series) -> list[str]:
        """Of these messages, those some block or state rule cares about. Only those an eq
        condition or a state rule names, or the quick pre-check passes, are looked at one by
        one: not the many others (messages with ids come forever)."""
        if not self._other:
            msgs = msgs.filter(msgs.is_in(self._named.implode()) | self._could(msgs))
        candidates = msgs.to_list()
        self._learn(candidates)
        return [m for m in candidates if m in self._routed or m in self._telling]

    def must_route(self, msg: str | None, level: int, *found: int) -> bool:
        """Whether a row must take the per-line path, from its message, level and the
        needles found in it (`found`: the masks self.found makes). A message `telling`
        leaves out may be given as None: only blocks without msg conditions could hold."""
        if msg is None:
            tests = self._free
        elif msg in self._routed:
            return True
        else:
            if msg not in self._candidates:
                self._learn([msg])
            tests = self._candidates[msg]
        key = (msg if tests is not self._free else None, level, found)
        answer = self._route.get(key)
        if answer is None:
            if len(self._route) > _MEMO_LIMIT:
                self._route.clear()
            bits = NEEDLE_BITS
            have = frozenset(
                n for j, n in enumerate(self.needles) if found[j // bits] >> j % bits & 1
            )
            answer = self._route[key] = not have.isdisjoint(ROUTE_NEEDLES) or any(
                self._exact(t, None, level) and all(not have.isdisjoint(g) for g in t.groups)
                for t in tests
            )
        return answer

    def variant(self, msg: str, tokens: str) -> Record | bool:
        """A conditional message's probe for these tokens (see _variant), memoised."""
        key = (msg, tokens)
        found = self._variants.get(key)
        if found is None:
            found = self._variants[key] = _variant(msg, tokens)
        return found

    def _learn(self, msgs: list[str]) -> None:
        """Find the tests whose msg conditions hold for each new message. An eq index and
        one vectorised pre-check spare most of them."""
        new = [m for m in msgs if m not in self._candidates]
        if len(self._candidates) + len(new) > _MEMO_LIMIT:  # messages with ids come forever
            self._candidates.clear()
            self._telling.clear()
            new = msgs
        could = self._could(pl.Series(new, dtype=pl.String)).to_list()
        for msg, maybe in zip(new, could, strict=True):
            tests = self._by_eq.get(msg)
            if tests is None and not maybe and not self._other:
                self._candidates[msg] = self._free  # the common case: shared, not copied
                continue
            tests = (tests or []) + self._other + (self._quick if maybe else [])
            held = [t for t in tests if self._exact(t, msg, None)]
            self._candidates[msg] = held + self._free
            if held:
                self._telling.add(msg)

    def _exact(self, test: _Test, msg: str | None, level: int | None) -> bool:
        """The block's msg and level conditions; an unknown value (None) could be anything,
        and a regex that times out could have matched."""
        for cond in test.exact:
            value = msg if cond.path == "msg" else level
            if value is not None and not self._judge.holds(test.pattern.id, cond, [value], {}):
                timed_out = self._judge.regex_timeouts
                if timed_out:
                    timed_out.clear()
                    return True
                return False
        return True


def any_of(texts: Iterable[str]) -> str:
    """A regex (Rust's syntax) for any of these texts. Rust's literal prefilters make it
    several times faster than `str.contains_any` or a `literal=True` search."""
    return "|".join("".join("\\" + c if c in _RUST_META else c for c in t) for t in texts)


_RUST_META = frozenset("\\.+*?()|[]{}^$#&-~")
SEP = "\x1f"  # joins the tokens found in a line; no token holds one
NEEDLE_BITS = 63  # needles per found mask: a UInt64 each
PLAIN_MSGS, CONDITIONAL = state_messages(account_rules())
STATE_KEYS = tuple(dict.fromkeys(k for keys in CONDITIONAL.values() for k in keys))
# the STATE_KEYS fields of a line, each with a plain value
STATE_TOKEN = r'"(?:' + "|".join(STATE_KEYS) + r')":(?:"[^"\\]*"|true|false|null)'
STATE_KEY = r'"(?:' + "|".join(STATE_KEYS) + r')":'
_MEMO_LIMIT = 20_000  # messages with ids come forever; the common ones are learnt again at once


def _found(needles: tuple[str, ...]) -> tuple[pl.Expr, ...]:
    """Which needles a line holds, as bit masks (`found0`, `found1`, … of NEEDLE_BITS
    needles each): a search per needle costs half of extracting them all at once."""
    masks = []
    for start in range(0, len(needles), NEEDLE_BITS):
        chunk = needles[start : start + NEEDLE_BITS]
        bits = [LINE.str.contains(any_of([n])).cast(pl.UInt64) * (1 << i) for i, n in
                enumerate(chunk)]  # fmt: skip
        masks.append(pl.sum_horizontal(bits).alias(f"found{start // NEEDLE_BITS}"))
    return tuple(masks)


def _selectivity(group: Iterable[str]) -> tuple[bool, int]:
    """How rare a group's needles are likely to be: words from error texts and codes before
    quoted field values (`"imap-connection"` is on every imapflow line), then longer first."""
    needles = tuple(group)
    return (not all(n.startswith('"') for n in needles), min(map(len, needles)))


def _first_msg(test: _Test) -> Any:
    return next((c for c in test.exact if c.path == "msg"), None)


def _quick_check(cond: Condition) -> str | None:
    """A regex source that finds a message whenever `cond` could hold for it, or None."""
    texts = [v for v in cond.values if isinstance(v, str)]
    if not texts or len(texts) != len(cond.values):
        return None
    if cond.modifier == "re":
        flags = {c.flags for c in cond.compiled}
        return "|".join(f"(?:{c.pattern})" for c in cond.compiled) if len(flags) == 1 else None
    escaped = "|".join(regex.escape(t) for t in texts)
    forms = {"startswith": f"^(?:{escaped})", "endswith": f"(?:{escaped})$",
             "contains": f"(?:{escaped})"}  # fmt: skip
    return forms.get(cond.modifier)


def _combined(sources: list[str]) -> Callable[[pl.Series], pl.Series]:
    """One vectorised search for all pre-checks; a message that passes is then tested
    exactly. Rust's regex agrees with Python's on ASCII text for the patterns it accepts, so
    a message with other characters always passes, and so does everything when Rust refuses
    the pattern."""
    if not sources:
        return lambda msgs: pl.repeat(False, len(msgs), eager=True)
    joined = "|".join(f"(?:{s})" for s in sources)
    try:
        pl.select(pl.lit("").str.contains(joined))
    except pl.exceptions.PolarsError:
        return lambda msgs: pl.repeat(True, len(msgs), eager=True)

    def could(msgs: pl.Series) -> pl.Series:
        return msgs.str.contains(joined) | (msgs.str.len_bytes() != msgs.str.len_chars())

    return could


def _test(pattern: Pattern, block: Block) -> _Test:
    exact: list[Condition] = []
    groups: list[tuple[str, ...]] = []
    keys: list[tuple[str, ...]] = []  # "this key is there": true of most lines, a weak filter
    for cond in block.conditions:
        if cond.path in ("msg", "level"):
            exact.append(cond)
            continue
        options = _needles(cond)
        if options:
            (keys if cond.modifier == "exists" else groups).append(tuple(options))
    # a group left out only makes the test more willing to route: keep key groups only when
    # nothing better says what the line holds
    groups = groups or keys
    by_msg = any(c.path == "msg" for c in exact)
    return _Test(pattern, tuple(exact), tuple(groups), by_msg)


def _needles(cond: Condition) -> list[str]:
    """Substrings the raw line must contain when `cond` holds (any one of them), or [] when
    nothing can be said."""
    if cond.path == "context":
        return []  # the context table decides: any line could be in any context
    if cond.path == "signal":
        return [n for v in cond.values for n in signal_needles(v)]
    if cond.modifier == "exists":
        key = next((k for k in reversed(cond.path.split(".")) if not k.isdigit()), "")
        return [_json(key)] if cond.values[0] and key and cond.path != "error_text" else []
    if cond.modifier == "eq" and all(_literal(v) for v in cond.values):
        # JSON.stringify writes true, false and integers one way only
        return [orjson.dumps(v).decode() for v in cond.values]
    texts = [v for v in cond.values if isinstance(v, str) and v]
    if len(texts) != len(cond.values) or cond.modifier not in _TEXT_MODIFIERS:
        return []
    if cond.path == "error_text":
        # error_text joins several fields with newlines: only a test within one field helps
        single = [_json(v)[1:-1] for v in texts if "\n" not in v]
        return single if cond.modifier == "contains" and len(single) == len(texts) else []
    return [_json(v) if cond.modifier == "eq" else _json(v)[1:-1] for v in texts]


_TEXT_MODIFIERS = ("eq", "startswith", "endswith", "contains")


def _literal(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, int) and value >= 0)


def _json(text: str) -> str:
    return orjson.dumps(text).decode()


def _effects() -> tuple[dict[str, str], set[str]]:
    """Split the messages whose state effect depends on the message alone into those a fast
    row may carry (with the kind of their effect: equal kinds in a row act like the first and
    last of them) and those routed to the per-line path. `healthy`: activity, which moves an
    account that is coming up to connected and leaves any other state as it is."""
    fast: dict[str, str] = {}
    routed: set[str] = set()
    for msg in PLAIN_MSGS:
        record = probe(msg)
        after = {next_state(record, state) for state in STATES}
        if len(after) == 1 and after <= FAST_EFFECTS:
            fast[msg] = after.pop()  # type: ignore[assignment]
        elif after == {None, "connected"}:
            fast[msg] = "healthy"
        else:
            routed.add(msg)
    return fast, routed


def probe(
    msg: str, data: dict[str, Any] | None = None, account: str | None = "a",
    component: str | None = None,
) -> Record:  # fmt: skip
    """A record carrying just these fields, to ask the state machine or the provider rules
    what a fast row means."""
    data = {"msg": msg, **(data or {})} if msg else data or {}
    components = (component,) if component else ()
    return Record(None, 30, msg, account, component, components, None, None, None, None, data,
                  "", "", 0)  # fmt: skip


def token_object(items: list[str]) -> dict[str, Any] | None:
    """The object `"key":value` tokens make, or None when a key repeats (orjson would keep
    the last, the tokens were taken from the first) or a token is not JSON."""
    keys = [item[1 : item.index('":')] for item in items]
    if len(set(keys)) != len(keys):
        return None
    try:
        found: dict[str, Any] = orjson.loads("{" + ",".join(items) + "}")
    except orjson.JSONDecodeError:
        return None
    return found


def _variant(msg: str, tokens: str) -> Record | bool:
    """The probe replaying a conditional message with these STATE_KEYS tokens; False when
    it has no effect in any state, True when its line must take the per-line path (odd
    tokens, or an effect that a second equal line would change again). Only the fields the
    message's own rules read count."""
    items = [t for t in tokens.split(SEP) if t] if tokens else []
    keys = CONDITIONAL.get(msg, ())
    data = token_object([t for t in items if t[1 : t.index('":')] in keys])
    if data is None or any(key in VIRTUAL_PATHS for key in keys):
        return True  # a virtual field (the component, written twice): the per-line path
    record = probe(msg, data)
    after = {state: next_state(record, state) for state in STATES}
    if all(effect is None for effect in after.values()):
        return False
    idempotent = all(
        next_state(record, effect) in (None, effect) for effect in after.values() if effect
    )
    return record if idempotent else True
