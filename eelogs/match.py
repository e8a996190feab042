"""Decide which catalog pattern a record shows: exactly one wins, by priority.

Precedence: the matching pattern with the highest `priority` wins (the most specific cause:
AADSTS50011 beats invalid_grant, Gmail's connection limit beats a plain auth failure); equal
priorities fall back to the pattern id, so the outcome never depends on load order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from eelogs.catalog import Catalog, Pattern
from eelogs.conditions import Block, Condition, RegexBudget
from eelogs.dispatch import Dispatch
from eelogs.parse import Record, record_field
from eelogs.signals import MAX_DEPTH, MAX_NODES, shallow, signals
from eelogs.signature import MEMO_LIMIT, Signature

# Where EmailEngine puts the words of a failure (research doc 9): searched by `error_text`.
_TEXT_PATHS = (
    ("err", "message"),
    ("err", "response"),
    ("err", "responseText"),
    ("err", "reason"),
    ("err", "failedReason"),
    ("err", "tokenRequest", "response", "error"),
    ("err", "tokenRequest", "response", "error_description"),
    ("err", "oauthRequest", "response", "error", "message"),
    ("err", "oauthRequest", "response", "error", "code"),
    ("err", "cause", "message"),
    ("response", "error"),
    ("response", "error_description"),
    ("response", "error", "message"),
    ("response", "error", "code"),
    ("error",),
    ("failedReason",),
    ("reason",),
)


@dataclass(frozen=True, slots=True)
class Match:
    pattern: Pattern
    fields: dict[str, Any]


class Judge:
    """Evaluates blocks of the catalog's "path|modifier" language on records: for patterns,
    and for every table written in the same language (contexts, states, provider clues)."""

    def __init__(self) -> None:
        self.regex_timeouts: Counter[str] = Counter()
        self.regex_budget = RegexBudget(self.regex_timeouts)

    def holds_block(self, owner: str, block: Block, record: Record) -> bool:
        """Whether one block holds for a record."""
        return self._block(owner, block, self.view(record), {})

    def holds_any(self, owner: str, blocks: tuple[Block, ...], record: Record) -> bool:
        """Whether one of `blocks` holds, with the record's fields looked up once."""
        return self.any_block(owner, blocks, self.view(record))

    def any_block(self, owner: str, blocks: tuple[Block, ...], view: _View) -> bool:
        """Whether one of `blocks` holds for the record `view` looks at."""
        return any(self._block(owner, b, view, {}) for b in blocks)

    def view(self, record: Record) -> _View:
        return _View(record, _no_context)

    def _block(self, owner: str, block: Block, view: _View, captured: dict[str, Any]) -> bool:
        groups: dict[str, Any] = {}
        for cond in block.conditions:
            if not self.holds(owner, cond, view.values(cond.path), groups):
                return False
        captured.update(groups)
        return True

    def holds(self, owner: str, cond: Condition, values: list[Any], groups: dict[str, Any]) -> bool:
        """Whether `cond` (of the pattern or table `owner`) holds for a field's `values`;
        regex groups, and the signal that matched, go to `groups`."""
        mod = cond.modifier
        if mod == "exists":
            return bool(values) is bool(cond.values[0])
        texts = cond.texts
        for value in values:
            if mod == "eq":
                # eq on texts is a set lookup: only a text can equal one
                equal = (
                    isinstance(value, str) and value in texts
                    if texts is not None
                    else any(_equal(value, want) for want in cond.values)
                )
                if equal:
                    if cond.path == "signal":
                        groups["signal"] = value
                    return True
            elif mod == "re":
                text = _as_text(value)
                for compiled in cond.compiled:
                    found = self._search(owner, compiled, text)
                    if found:
                        groups.update({k: v for k, v in found.groupdict().items() if v})
                        return True
            elif mod in ("gte", "lt"):
                if (
                    isinstance(value, (int, float))
                    and not isinstance(value, bool)
                    and any((value >= w) if mod == "gte" else (value < w) for w in cond.values)
                ):
                    return True
            elif isinstance(value, str) and _text_test(mod, value, cond.values):
                return True
        return False

    def _search(self, owner: str, compiled: Any, text: str) -> Any:
        return self.regex_budget.search(owner, compiled, text)


def _no_context(view: _View) -> str | None:
    return None


def catalog_reads(catalog: Catalog) -> set[tuple[str, str]]:
    """Every (field path, modifier) the catalog's patterns and tables read."""
    blocks = [b for p in catalog.patterns for b in (*p.match, *p.exclude)]
    blocks += [b for c in catalog.tables.contexts for b in c.match]
    blocks += [b for e in catalog.tables.expected for b in e.match]
    reads = {(cond.path, cond.modifier) for block in blocks for cond in block.conditions}
    return reads | {(spec.path, "value") for p in catalog.patterns for spec in p.fields}


def _lowest_level(block: Block) -> int:
    """The lowest record level `block` can hold for (0 when it cannot be told)."""
    floors = [c.values for c in block.conditions if c.path == "level" and c.modifier == "gte"]
    if not floors or any(c.path == "level" and c.modifier != "gte" for c in block.conditions):
        return 0
    return int(max(min(values) for values in floors))  # every condition must hold


def field_values(record: Record, path: str) -> list[Any]:
    """The values at `path`, as a rule's condition sees them."""
    return _View(record, _no_context).values(path)


class Classifier(Judge):
    """Classify records against a catalog; `Dispatch` narrows each record to the few
    patterns that could fit, so healthy chatter costs a handful of dict lookups."""

    def __init__(self, catalog: Catalog, memo: bool = True) -> None:
        super().__init__()
        self._use_memo = memo
        ordered = sorted(
            (p for p in catalog.patterns if p.match), key=lambda p: (-p.priority, p.id)
        )
        self.catalog = catalog
        self._dispatch = Dispatch(ordered)
        self._contexts = catalog.tables.contexts
        self._expected = catalog.tables.expected
        self._signature = Signature(catalog_reads(catalog), field_values)
        # below every block's level test no pattern can match (trace chatter, mostly)
        self._lowest_level = min((_lowest_level(b) for p in ordered for b in p.match), default=0)
        self._memo: dict[bytes, tuple[Match | None, str | None]] = {}

    def classify(self, record: Record) -> Match | None:
        """The single best pattern for this record, or None."""
        return self.classify_with_context(record)[0]

    def classify_with_context(self, record: Record) -> tuple[Match | None, str | None]:
        """The best pattern and the record's context, worked out once per signature (the
        values of every field the catalog reads): the answer for a record is the answer
        for any record with the same signature."""
        key = self._signature.of(record) if self._use_memo else None
        if key is not None:
            known = self._memo.get(key)
            if known is not None:
                return known
        view = self.view(record)
        answer = (self._classify(view), view.context)
        if key is not None:
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = answer
        return answer

    def remembered(self) -> dict[bytes, tuple[Match | None, str | None]]:
        """The answers remembered so far, by signature."""
        return self._memo

    def _classify(self, view: _View) -> Match | None:
        if view.record.level < self._lowest_level or self.expected(view):
            return None
        for pattern in self._dispatch.candidates(view.record, view):
            fields = self._try(pattern, view)
            if fields is not None:
                return Match(pattern, fields)
        return None

    def all_matches(self, record: Record) -> list[Match]:
        """Every pattern that fits, best first (for `patterns check` and explanations)."""
        view = self.view(record)
        out = []
        for pattern in self._dispatch.candidates(record, view):
            fields = self._try(pattern, view)
            if fields is not None:
                out.append(Match(pattern, fields))
        return out

    def view(self, record: Record) -> _View:
        return _View(record, self._context_of)

    def context(self, record: Record) -> str | None:
        """The operation this record is about (contexts.toml), or None."""
        return self.view(record).context

    def expected(self, view: _View) -> bool:
        """Whether EmailEngine logged this record on purpose as harmless (expected.toml)."""
        return any(self.any_block("expected", e.match, view) for e in self._expected)

    def try_pattern(self, pattern: Pattern, record: Record) -> dict[str, Any] | None:
        """The extracted fields if `pattern` matches `record`, else None."""
        return self._try(pattern, self.view(record))

    def _context_of(self, view: _View) -> str | None:
        for context in self._contexts:
            if self.any_block(context.id, context.match, view):
                return context.id
        return None

    def _try(self, pattern: Pattern, view: _View) -> dict[str, Any] | None:
        captured: dict[str, Any] = {}
        if not any(self._block(pattern.id, b, view, captured) for b in pattern.match):
            return None
        if self.any_block(pattern.id, pattern.exclude, view):
            return None
        for spec in pattern.fields:
            value = view.value(spec.path)
            if value is not None and spec.patterns:
                value = self._extract(pattern.id, spec.patterns, spec.name, _as_text(value))
            if value is not None:
                captured[spec.name] = value
        context = view.context
        if context is not None:
            captured.setdefault("context", context)
        return captured

    def _extract(self, owner: str, compiled: tuple[Any, ...], name: str, text: str) -> str | None:
        for one in compiled:
            found = self._search(owner, one, text)
            if found:
                return str(found.groupdict().get(name) or found.group(0))
        return None


_UNSET: Any = object()


class _View:
    """Field lookup over one record: dotted paths, virtual fields, lists mapped over. The
    costly virtual fields (error text, signals, context) are computed once, when asked."""

    __slots__ = ("_context", "_find_context", "_record", "_signals", "_text")

    def __init__(self, record: Record, find_context: Callable[[_View], str | None]) -> None:
        self._record = record
        self._text: str | None = None
        self._signals: list[str] | None = None
        self._context: Any = _UNSET
        self._find_context = find_context

    @property
    def record(self) -> Record:
        return self._record

    @property
    def signals(self) -> list[str]:
        if self._signals is None:
            record = self._record
            self._signals = sorted(signals(record.err, record.data, record.msg))
        return self._signals

    @property
    def context(self) -> str | None:
        if self._context is _UNSET:
            self._context = None  # a context rule that asks for the context finds none
            self._context = self._find_context(self)
        found: str | None = self._context
        return found

    def value(self, path: str) -> Any:
        """The value at `path` as logged (a list stays a list), or None."""
        if path in ("msg", "level", "account", "error_text", "signal", "context"):
            return _first(self.values(path))
        if path == "component":
            return self._record.component
        return shallow(record_field(self._record, path.split(".")))

    def values(self, path: str) -> list[Any]:
        record = self._record
        if path == "msg":
            return [record.msg]
        if path == "component":
            return list(record.components)
        if path == "level":
            return [record.level]
        if path == "account":
            return [record.account] if record.account else []
        if path == "error_text":
            if self._text is None:
                self._text = error_text(record)
            return [self._text] if self._text else []
        if path == "signal":
            return list(self.signals)
        if path == "context":
            context = self.context
            return [context] if context else []
        root: Any = record.err if path.startswith("err.") else record.data
        parts = path.split(".")[1:] if path.startswith("err.") else path.split(".")
        return list(_walk(root, parts))


def _walk(node: Any, parts: list[str]) -> Iterator[Any]:
    """The values at `parts` under `node`, a list mapped over where one stands in the way.
    Iterative and bounded like signals._walk: a record may nest lists ~1024 deep."""
    for at, part in enumerate(parts):
        if isinstance(node, list):
            yield from _walk_lists(node, parts, at)
            return
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return
    yield from _leaves(node)


def _walk_lists(top: list[Any], parts: list[str], start: int) -> Iterator[Any]:
    stack: list[tuple[Any, int, int]] = [(top, start, 0)]  # node, next part, lists mapped
    nodes = 0
    while stack and nodes < MAX_NODES:
        node, at, mapped = stack.pop()
        nodes += 1
        if at == len(parts):
            yield from _leaves(node)
        elif isinstance(node, dict):
            if parts[at] in node:
                stack.append((node[parts[at]], at + 1, mapped))
        elif isinstance(node, list) and mapped < MAX_DEPTH:
            if parts[at].isascii() and parts[at].isdigit():
                if int(parts[at]) < len(node):
                    stack.append((node[int(parts[at])], at + 1, mapped))
            else:
                stack.extend((item, at, mapped + 1) for item in reversed(node))


def _leaves(node: Any) -> Iterator[Any]:
    if isinstance(node, list):
        yield from (shallow(v) for v in node if v is not None)
    elif node is not None:
        yield shallow(node)


def error_text(record: Record) -> str:
    """All the words of a failure in one string, for `error_text` conditions and reports."""
    seen: list[str] = []
    sources: list[Any] = [record.msg]
    sources.extend(record_field(record, path) for path in _TEXT_PATHS)
    err = record.err or {}
    for key in ("errors", "aggregateErrors"):  # an AggregateError's own errors
        items = err.get(key)
        if isinstance(items, list):
            sources.extend(item.get("message") for item in items[:20] if isinstance(item, dict))
    for value in sources:
        if isinstance(value, str) and value and value not in seen:
            seen.append(value)
    return "\n".join(seen)


def _first(values: list[Any]) -> Any:
    return values[0] if values else None


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _equal(value: Any, want: Any) -> bool:
    if isinstance(value, bool) or isinstance(want, bool):
        return value is want
    return bool(value == want)


def _text_test(modifier: str, value: str, wants: tuple[Any, ...]) -> bool:
    if modifier == "contains":
        return any(str(w) in value for w in wants)
    if modifier == "startswith":
        return value.startswith(tuple(str(w) for w in wants))
    return value.endswith(tuple(str(w) for w in wants))  # endswith
