"""The rule language every table of the catalog shares: `"path|modifier" = value` tests.

Patterns, contexts and the code table are all written in it, and read by this one compiler,
so a condition means the same thing wherever it stands. A block holds when all its
conditions hold; a condition holds when any of its values does. A string value `@name`
stands for the list `name` of patterns/_rules/lists.toml.

Virtual paths, besides dotted paths into the record (`err.code`, `sub`):
    msg, level, account, component   the record's normalised fields
    error_text                       every word of the failure (messages, responses, bodies)
    signal                           the record's signals (eelogs/signals.py): `aadsts:53003`
    context                          the operation the record is about (contexts.toml)
"""

from __future__ import annotations

import difflib
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from eelogs.errors import CatalogError
from eelogs.signals import KINDS

MODIFIERS = ("eq", "contains", "startswith", "endswith", "re", "exists", "gte", "lt")
VIRTUAL_PATHS = ("msg", "level", "account", "component", "error_text", "signal", "context")
REGEX_TIMEOUT = 0.25  # seconds; a catastrophic user regex is cut off, not waited for
# A rule whose regexes time out this often, or spend this long in slow searches (over
# REGEX_SLOW each), is given up for the rest of the run: one catastrophic user regex would
# otherwise cost REGEX_TIMEOUT on every line (a million lines: three days).
REGEX_GIVE_UP_TIMEOUTS = 3
REGEX_GIVE_UP_SECONDS = 2.0
REGEX_SLOW = 0.05
LEVELS = {"trace": 10, "debug": 20, "info": 30, "warn": 40, "error": 50, "fatal": 60}


@dataclass(frozen=True, slots=True)
class Condition:
    """One `"path|modifier" = value` test. `values` holds the alternatives (any may hold)."""

    path: str
    modifier: str
    values: tuple[Any, ...]
    compiled: tuple[Any, ...] = ()
    # an eq test on texts only, as a set: a long list of messages is one lookup, not a scan
    texts: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Block:
    conditions: tuple[Condition, ...]  # cheapest first; dispatch.py files each block


@dataclass(frozen=True, slots=True)
class Example:
    expect: str
    line: str
    fields: dict[str, Any]
    note: str | None
    index: int


EXPECTS = ("match", "no-match", "todo-match", "todo-no-match")
EXAMPLE_KEYS = {"expect", "line", "fields", "note"}


class BlockCompiler:
    """Compiles `[[match]]`-style tables of one file; errors name the file and the key."""

    def __init__(self, path: Path, lists: Mapping[str, tuple[Any, ...]] | None = None) -> None:
        self.path = path
        self.lists = lists or {}

    def fail(self, key: str, problem: str, hint: str) -> CatalogError:
        return CatalogError(f"{self.path}: {key}: {problem}", hint)

    def block(self, where: str, table: Any, extra: Iterable[Condition] = ()) -> Block:
        if not isinstance(table, dict) or not table:
            raise self.fail(where, "empty block", 'write "path|modifier" = value lines')
        conditions = [self.condition(where, k, v) for k, v in table.items()]
        return Block(tuple(sorted([*conditions, *extra], key=_cost)))

    def condition(self, where: str, key: str, value: Any) -> Condition:
        if isinstance(value, dict):
            raise self.fail(
                f"{where}.{key}",
                "is a table, not a value",
                f'quote the key: "{key}.{next(iter(value), "")}" = …',
            )
        path, _, modifier = key.partition("|")
        modifier = modifier or "eq"
        if modifier not in MODIFIERS:
            raise self.fail(
                f"{where}.{key}",
                f"unknown modifier {modifier!r}",
                did_you_mean(modifier, MODIFIERS) or f"use {', '.join(MODIFIERS)}",
            )
        values = self._expand(f"{where}.{key}", value)
        if not values:
            raise self.fail(f"{where}.{key}", "empty list", "give at least one value")
        if modifier == "exists" and values not in ((True,), (False,)):
            raise self.fail(f"{where}.{key}", "exists takes true or false", "write |exists = true")
        if path == "signal":
            self._check_signals(f"{where}.{key}", modifier, values)
        compiled: tuple[Any, ...] = ()
        if modifier == "re":
            compiled = tuple(self.regex(f"{where}.{key}", v) for v in values)
        texts = None
        if modifier == "eq" and all(isinstance(v, str) for v in values):
            texts = frozenset(values)
        return Condition(path, modifier, values, compiled, texts)

    def _expand(self, where: str, value: Any) -> tuple[Any, ...]:
        """The values, with `@name` list references replaced by the lists they name."""
        out: list[Any] = []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith("@") and len(item) > 1:
                name = item[1:]
                if name not in self.lists:
                    raise self.fail(
                        where,
                        f"unknown list {item!r}",
                        did_you_mean(name, self.lists) or "define it in patterns/_rules/lists.toml",
                    )
                out.extend(self.lists[name])
            else:
                out.append(item)
        return tuple(out)

    def _check_signals(self, where: str, modifier: str, values: tuple[Any, ...]) -> None:
        if modifier != "eq":
            raise self.fail(where, "signals are compared whole", 'write "signal" = ["kind:value"]')
        for value in values:
            kind, sep, rest = str(value).partition(":")
            if not sep or not rest or kind not in KINDS:
                raise self.fail(
                    where,
                    f"{value!r} is not kind:value",
                    f"kinds: {', '.join(KINDS)} (e.g. aadsts:50011, imap:ALERT, smtp:5.7.139)",
                )

    def examples(self, where: str, examples: Any) -> tuple[Example, ...]:
        """Example lines: each says whether the rule must hold for it."""
        if not isinstance(examples, list) or not examples:
            raise self.fail(
                where, "no examples", 'add lines that must match (expect = "match") and must not'
            )
        out = []
        for i, ex in enumerate(examples):
            if not isinstance(ex, dict):
                raise self.fail(f"{where}[{i}]", "not a table", "write [[examples]] tables")
            self.unknown(ex, EXAMPLE_KEYS, f"{where}[{i}].")
            expect = ex.get("expect")
            if expect not in EXPECTS:
                raise self.fail(
                    f"{where}[{i}].expect",
                    f"{expect!r} is not one of {', '.join(EXPECTS)}",
                    'write expect = "match"',
                )
            if not isinstance(ex.get("line"), str) or not ex["line"].strip():
                raise self.fail(f"{where}[{i}].line", "missing", "paste a real log line")
            fields = ex.get("fields", {})
            if not isinstance(fields, dict):
                raise self.fail(f"{where}[{i}].fields", "must be a table", "fields = { k = v }")
            out.append(Example(expect, ex["line"].strip(), dict(fields), ex.get("note"), i))
        if not any(e.expect == "match" for e in out):
            raise self.fail(
                where,
                'no example with expect = "match"',
                "add at least one line the rule must match",
            )
        return tuple(out)

    def unknown(self, table: Mapping[str, Any], known: Iterable[str], prefix: str) -> None:
        known = set(known)
        for key in table:
            if key not in known:
                raise self.fail(
                    f"{prefix}{key}",
                    "unknown key",
                    did_you_mean(key, known) or f"known keys: {', '.join(sorted(known))}",
                )

    def regex(self, where: str, source: Any) -> Any:
        if not isinstance(source, str):
            raise self.fail(where, "a regex must be a string", "use '''…''' quotes")
        if source.startswith(".*") or (source.endswith(".*") and not source.endswith("\\.*")):
            raise self.fail(
                where,
                "leading or trailing .* is redundant and slow",
                "regexes are searched; drop the .*",
            )
        try:
            return regex.compile(source)
        except regex.error as exc:
            raise self.fail(where, f"regex does not compile: {exc}", "check the regex") from exc


class RegexBudget:
    """Every regex search of a run goes through here, with a timeout and a budget per rule
    (a pattern, context or table id). A rule over its budget is abandoned: its regexes
    match nothing from then on, and `abandoned` names it for the report and stderr."""

    def __init__(self, timeouts: Counter[str] | None = None) -> None:
        self.timeouts: Counter[str] = timeouts if timeouts is not None else Counter()
        self.slow_seconds: dict[str, float] = {}
        self.abandoned: dict[str, str] = {}  # rule id -> why it was given up

    def search(self, owner: str, compiled: Any, text: str) -> Any:
        if owner in self.abandoned:
            return None
        started = time.perf_counter()
        try:
            return compiled.search(text, timeout=REGEX_TIMEOUT)
        except TimeoutError:
            self.timeouts[owner] += 1
            return None
        finally:
            spent = time.perf_counter() - started
            if spent > REGEX_SLOW:
                self.slow_seconds[owner] = self.slow_seconds.get(owner, 0.0) + spent
                self._judge(owner)

    def _judge(self, owner: str) -> None:
        if self.timeouts[owner] >= REGEX_GIVE_UP_TIMEOUTS:
            why = f"its regex timed out {self.timeouts[owner]} times ({REGEX_TIMEOUT} s each)"
        elif self.slow_seconds.get(owner, 0.0) >= REGEX_GIVE_UP_SECONDS:
            why = f"its regexes spent {self.slow_seconds[owner]:.1f} s on slow searches"
        else:
            return
        self.abandoned[owner] = why


def abandoned_warning(rule: str, why: str) -> str:
    """The warning for a rule RegexBudget gave up, for stderr and every report format."""
    return (
        f"pattern {rule} was given up for the rest of the run: {why}; look in its |re "
        "conditions for a nested repetition"
    )


_MODIFIER_COST = {
    "exists": 0,
    "eq": 1,
    "gte": 1,
    "lt": 1,
    "startswith": 2,
    "endswith": 2,
    "contains": 3,
    "re": 4,
}
# Paths that cost more than a lookup: the signal walk, the context table, the joined text.
_PATH_COST = {"signal": 2, "context": 3, "error_text": 5}


def _cost(cond: Condition) -> int:
    """Evaluation order inside a block: all conditions must hold, so cheap ones go first."""
    return _MODIFIER_COST[cond.modifier] + _PATH_COST.get(cond.path, 0)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else None
