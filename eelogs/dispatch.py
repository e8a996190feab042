"""Which patterns could fit a record, found with a few dictionary lookups.

Every [[match]] block is filed under its most selective cheap condition (its guard): an
exact `msg`, an `err.code`, a `msg` prefix, an exact field value such as
`sub = "nodemailer"`, or a component. Blocks that test `err.*` are only consulted for
records with an `err`. Healthy chatter therefore meets almost no pattern.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from eelogs.catalog import Pattern
from eelogs.conditions import Block, Condition
from eelogs.parse import Record, dig

_SPECIAL = frozenset({"msg", "component", "level", "account", "error_text", "signal", "context"})


class Facts(Protocol):
    """What the classifier knows of a record beyond its fields, computed when first asked."""

    @property
    def signals(self) -> list[str]: ...

    @property
    def context(self) -> str | None: ...


class Dispatch:
    """All blocks filed by guard; blocks that test `err.*` sit in a second table that is
    only consulted for records that carry an `err`."""

    def __init__(self, ordered: Iterable[Pattern]) -> None:
        self.patterns = tuple(ordered)
        self._plain = _Table()
        self._with_err = _Table()
        for rank, pattern in enumerate(self.patterns):
            for block in pattern.match:
                (self._with_err if needs_err(block) else self._plain).file(rank, block)

    def candidates(self, record: Record, facts: Facts) -> list[Pattern]:
        """Patterns with a block whose guard this record passes, best (highest priority) first."""
        ranks = self._plain.lookup(record, facts)
        if record.err is not None:
            ranks |= self._with_err.lookup(record, facts)
            code = record.err.get("code")
            if isinstance(code, str):
                ranks |= self._with_err.by_err_code.get(code, set())
        return [self.patterns[rank] for rank in sorted(ranks)]


class _Table:
    def __init__(self) -> None:
        self.by_msg: dict[str, set[int]] = {}
        self.by_err_code: dict[str, set[int]] = {}
        self.by_component: dict[str, set[int]] = {}
        self.by_signal: dict[str, set[int]] = {}
        self.by_context: dict[str, set[int]] = {}
        self.by_field: dict[str, dict[Any, set[int]]] = {}
        self.prefixes: list[tuple[str, int]] = []
        self.always: set[int] = set()
        self._prefix_tuple: tuple[str, ...] = ()
        self._field_paths: tuple[tuple[str, list[str]], ...] = ()

    def file(self, rank: int, block: Block) -> None:
        conds = block.conditions
        if (cond := _first(conds, lambda c: c.path == "msg" and c.modifier == "eq")) is not None:
            _add(self.by_msg, cond.values, rank)
        elif cond := _first(conds, lambda c: c.path == "signal" and c.modifier == "eq"):
            _add(self.by_signal, cond.values, rank)
        elif cond := _first(conds, lambda c: c.path == "err.code" and c.modifier == "eq"):
            _add(self.by_err_code, cond.values, rank)
        elif cond := _first(conds, lambda c: c.path == "msg" and c.modifier == "startswith"):
            self.prefixes.extend((str(v), rank) for v in cond.values)
            self._prefix_tuple = tuple(p for p, _ in self.prefixes)
        elif (cond := _first(conds, _plain_equality)) is not None:
            _add(self.by_field.setdefault(cond.path, {}), cond.values, rank)
            self._field_paths = tuple((p, p.split(".")) for p in self.by_field)
        elif cond := _first(conds, lambda c: c.path == "context" and c.modifier == "eq"):
            _add(self.by_context, cond.values, rank)
        elif cond := _first(conds, lambda c: c.path == "component" and c.modifier == "eq"):
            _add(self.by_component, cond.values, rank)
        else:
            self.always.add(rank)

    def lookup(self, record: Record, facts: Facts) -> set[int]:
        ranks = set(self.always)
        if self.by_signal:
            for signal in facts.signals:
                hit = self.by_signal.get(signal)
                if hit:
                    ranks |= hit
        if self.by_context and (context := facts.context) is not None:
            ranks |= self.by_context.get(context, set())
        found = self.by_msg.get(record.msg)
        if found:
            ranks |= found
        data = record.data
        for path, parts in self._field_paths:
            value = dig(data, parts)
            if value is not None and not isinstance(value, (dict, list)):
                hit = self.by_field[path].get(value)
                if hit:
                    ranks |= hit
        for component in record.components:
            hit = self.by_component.get(component)
            if hit:
                ranks |= hit
        if self._prefix_tuple and record.msg.startswith(self._prefix_tuple):
            ranks.update(rank for prefix, rank in self.prefixes if record.msg.startswith(prefix))
        return ranks


def needs_err(block: Block) -> bool:
    """A block that tests some `err.*` field can only hold for a record with an `err`."""
    return any(
        (c.path == "err" or c.path.startswith("err."))
        and not (c.modifier == "exists" and not c.values[0])
        for c in block.conditions
    )


def _plain_equality(cond: Condition) -> bool:
    """An exact match on an ordinary field (not err.*, not a virtual field)."""
    return (
        cond.modifier == "eq"
        and cond.path not in _SPECIAL
        and not cond.path.startswith("err.")
        and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in cond.values)
    )


def _first(conds: tuple[Condition, ...], test: Any) -> Condition | None:
    return next((c for c in conds if test(c)), None)


def _add(index: dict[Any, set[int]], values: tuple[Any, ...], rank: int) -> None:
    for value in values:
        index.setdefault(value, set()).add(rank)
