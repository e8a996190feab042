"""Load, validate and compile the pattern catalog (patterns/<category>/<id>.toml)."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from eelogs.errors import CatalogError
from eelogs.resources import data_dir

SEVERITIES = ("info", "low", "medium", "high", "critical")
SCOPES = ("account", "app", "instance")
PROVIDERS = ("gmail", "outlook", "yahoo", "icloud", "other", "unknown", "any")
MODIFIERS = ("eq", "contains", "startswith", "endswith", "re", "exists", "gte", "lt")
EXPECTS = ("match", "no-match", "todo-match", "todo-no-match")
DETECTORS = (
    "stuck-connecting",
    "flapping",
    "oauth-recurring",
    "webhook-burst",
    "crash-loop",
    "provider-incident",
)
SIGNAL_KINDS = ("login", "token", "send", "webhook", "watch", "subscription")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Every key the loader accepts; docs/pattern-format.md documents each (a test checks it).
TOP_KEYS = {
    "id",
    "title",
    "action",
    "severity",
    "category",
    "providers",
    "priority",
    "scope",
    "also",
    "fallback",
    "detector",
    "recovered_by",
    "match",
    "exclude",
    "fields",
    "docs",
    "examples",
}
DOC_KEYS = {"what", "why", "fix", "providers", "references", "known_problems"}
EXAMPLE_KEYS = {"expect", "line", "fields", "note"}
FIELD_KEYS = {"path", "re"}  # a [fields] entry written as a table
REGEX_TIMEOUT = 0.25  # seconds; a catastrophic user regex is cut off, not waited for


@dataclass(frozen=True, slots=True)
class Condition:
    """One `"path|modifier" = value` test. `values` holds the alternatives (any may hold)."""

    path: str
    modifier: str
    values: tuple[Any, ...]
    compiled: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Block:
    conditions: tuple[Condition, ...]  # cheapest first; dispatch.py files each block


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    path: str
    patterns: tuple[Any, ...] = ()  # tried in order; the first that finds gives the value


@dataclass(frozen=True, slots=True)
class Example:
    expect: str
    line: str
    fields: dict[str, Any]
    note: str | None
    index: int


@dataclass(frozen=True, slots=True)
class Pattern:
    id: str
    title: str
    action: str
    severity: str
    category: str
    providers: tuple[str, ...]
    priority: int
    scope: str
    also: tuple[str, ...]
    fallback: bool
    detector: str | None
    recovered_by: tuple[str, ...]
    match: tuple[Block, ...]
    exclude: tuple[Block, ...]
    fields: tuple[FieldSpec, ...]
    docs: dict[str, Any]
    examples: tuple[Example, ...]
    path: Path

    @property
    def severity_rank(self) -> int:
        return SEVERITIES.index(self.severity)


@dataclass(frozen=True, slots=True)
class Catalog:
    patterns: tuple[Pattern, ...]
    folders: tuple[Path, ...] = field(default_factory=tuple)

    def get(self, pattern_id: str) -> Pattern | None:
        return next((p for p in self.patterns if p.id == pattern_id), None)


def default_folder() -> Path:
    return data_dir("patterns")


def load_catalog(extra: Sequence[Path] = (), include_default: bool = True) -> Catalog:
    """Load the shipped catalog plus any extra folders; later folders may not reuse ids."""
    folders = ([default_folder()] if include_default else []) + [Path(p) for p in extra]
    patterns: list[Pattern] = []
    seen: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            raise CatalogError(f"{folder}: not a folder", "pass a folder of *.toml patterns")
        for path in sorted(folder.rglob("*.toml")):
            pattern = load_pattern(path, folder)
            if pattern.id in seen:
                raise CatalogError(
                    f"{path}: id: {pattern.id!r} is already defined in {seen[pattern.id]}",
                    "give the pattern a new id",
                )
            seen[pattern.id] = path
            patterns.append(pattern)
    _check_also(patterns)
    return Catalog(tuple(patterns), tuple(folders))


def load_pattern(path: Path, root: Path) -> Pattern:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(
            f"{path}: not valid TOML: {exc}",
            "quote dotted keys (\"err.code\" = …) and use '''…''' for lines",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read: {exc}", "check the file") from exc
    return _Builder(path, root, data).build()


class _Builder:
    def __init__(self, path: Path, root: Path, data: dict[str, Any]) -> None:
        self.path, self.root, self.data = path, root, data

    def fail(self, key: str, problem: str, hint: str) -> CatalogError:
        return CatalogError(f"{self.path}: {key}: {problem}", hint)

    def build(self) -> Pattern:
        d = self.data
        _unknown(self, d, TOP_KEYS, "")
        for key in ("id", "title", "action", "severity", "category"):
            if not isinstance(d.get(key), str) or not d[key].strip():
                raise self.fail(key, "missing or empty", f'add {key} = "…"')
        pid = d["id"]
        if not _ID.match(pid) or len(pid) > 60:
            raise self.fail("id", f"{pid!r} is not kebab-case", "use lower-case words joined by -")
        if pid != self.path.stem:
            raise self.fail(
                "id",
                f"{pid!r} differs from the file name",
                f"rename the file to {pid}.toml or change the id",
            )
        self._check_choice("severity", d["severity"], SEVERITIES)
        if self.path.parent != self.root and self.path.parent.name != d["category"]:
            raise self.fail(
                "category",
                f"{d['category']!r} differs from the folder {self.path.parent.name!r}",
                "move the file or fix category",
            )
        providers = tuple(d.get("providers", ["any"]))
        for provider in providers:
            self._check_choice("providers", provider, PROVIDERS)
        scope = d.get("scope", "account")
        self._check_choice("scope", scope, SCOPES)
        priority = d.get("priority", 50)
        if not isinstance(priority, int) or not 0 <= priority <= 100:
            raise self.fail("priority", f"{priority!r} is not 0-100", "higher wins; default 50")
        detector = d.get("detector")
        if detector is not None:
            self._check_choice("detector", detector, DETECTORS)
        for kind in d.get("recovered_by", []):
            self._check_choice("recovered_by", kind, SIGNAL_KINDS)
        blocks = d.get("match", [] if detector else None)
        if not isinstance(blocks, list) or (not blocks and not detector):
            raise self.fail("match", "no [[match]] block", "add at least one [[match]] block")
        return Pattern(
            id=pid,
            title=d["title"].strip(),
            action=d["action"].strip(),
            severity=d["severity"],
            category=d["category"],
            providers=providers,
            priority=priority,
            scope=scope,
            also=tuple(d.get("also", [])),
            fallback=d.get("fallback", False) is True,
            detector=detector,
            recovered_by=tuple(d.get("recovered_by", [])),
            match=tuple(self._block("match", i, b) for i, b in enumerate(blocks)),
            exclude=tuple(self._block("exclude", i, b) for i, b in enumerate(d.get("exclude", []))),
            fields=self._fields(d.get("fields", {})),
            docs=self._docs(d.get("docs")),
            examples=self._examples(d.get("examples"), required=bool(blocks)),
            path=self.path,
        )

    def _check_choice(self, key: str, value: Any, choices: Iterable[str]) -> None:
        if value not in choices:
            raise self.fail(
                key,
                f"{value!r} is not one of {', '.join(choices)}",
                _did_you_mean(str(value), choices) or f"use one of {', '.join(choices)}",
            )

    def _block(self, kind: str, index: int, block: Any) -> Block:
        where = f"{kind}[{index}]"
        if not isinstance(block, dict) or not block:
            raise self.fail(where, "empty block", 'write "path|modifier" = value lines')
        conditions = [self._condition(where, k, v) for k, v in block.items()]
        return Block(tuple(sorted(conditions, key=_cost)))

    def _condition(self, where: str, key: str, value: Any) -> Condition:
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
                _did_you_mean(modifier, MODIFIERS) or f"use {', '.join(MODIFIERS)}",
            )
        values = tuple(value) if isinstance(value, list) else (value,)
        if not values:
            raise self.fail(f"{where}.{key}", "empty list", "give at least one value")
        if modifier == "exists" and values not in ((True,), (False,)):
            raise self.fail(f"{where}.{key}", "exists takes true or false", "write |exists = true")
        compiled: tuple[Any, ...] = ()
        if modifier == "re":
            compiled = tuple(self._regex(f"{where}.{key}", v) for v in values)
        return Condition(path, modifier, values, compiled)

    def _regex(self, where: str, source: Any) -> Any:
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

    def _fields(self, table: Any) -> tuple[FieldSpec, ...]:
        if not isinstance(table, dict):
            raise self.fail("fields", "must be a table", '[fields] name = "path"')
        out = []
        for name, spec in table.items():
            if isinstance(spec, str):
                out.append(FieldSpec(name, spec))
            elif isinstance(spec, dict) and isinstance(spec.get("path"), str):
                _unknown(self, spec, FIELD_KEYS, f"fields.{name}.")
                sources = spec.get("re", [])
                sources = [sources] if isinstance(sources, str) else sources
                out.append(
                    FieldSpec(
                        name,
                        spec["path"],
                        tuple(self._regex(f"fields.{name}.re", source) for source in sources),
                    )
                )
            else:
                raise self.fail(
                    f"fields.{name}",
                    "must be a path or {path, re}",
                    "write name = \"err.code\" or name = {path = \"…\", re = '''…'''}",
                )
        return tuple(out)

    def _docs(self, docs: Any) -> dict[str, Any]:
        if not isinstance(docs, dict):
            raise self.fail("docs", "missing", "add [docs] with what, why and fix")
        _unknown(self, docs, DOC_KEYS, "docs.")
        for key in ("what", "why", "fix"):
            if not isinstance(docs.get(key), str) or not docs[key].strip():
                raise self.fail(f"docs.{key}", "missing or empty", f'add {key} = """…"""')
        for ref in docs.get("references", []):
            if not str(ref).startswith("https://"):
                raise self.fail(
                    "docs.references",
                    f"{ref!r} is not an https:// link",
                    "link documentation over https",
                )
        return docs

    def _examples(self, examples: Any, required: bool) -> tuple[Example, ...]:
        if not required and not examples:
            return ()
        if not isinstance(examples, list) or not examples:
            raise self.fail(
                "examples",
                "no [[examples]]",
                'add lines that must match (expect = "match") and must not',
            )
        out = []
        for i, ex in enumerate(examples):
            _unknown(self, ex, EXAMPLE_KEYS, f"examples[{i}].")
            expect = ex.get("expect")
            if expect not in EXPECTS:
                raise self.fail(
                    f"examples[{i}].expect",
                    f"{expect!r} is not one of {', '.join(EXPECTS)}",
                    'write expect = "match"',
                )
            if not isinstance(ex.get("line"), str) or not ex["line"].strip():
                raise self.fail(f"examples[{i}].line", "missing", "paste a real log line")
            out.append(
                Example(expect, ex["line"].strip(), dict(ex.get("fields", {})), ex.get("note"), i)
            )
        if not any(e.expect == "match" for e in out):
            raise self.fail(
                "examples",
                'no example with expect = "match"',
                "add at least one line the pattern must match",
            )
        return tuple(out)


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


def _cost(cond: Condition) -> int:
    """Evaluation order inside a block: all conditions must hold, so cheap ones go first."""
    return _MODIFIER_COST[cond.modifier] + (5 if cond.path == "error_text" else 0)


def _unknown(builder: _Builder, table: dict[str, Any], known: set[str], prefix: str) -> None:
    for key in table:
        if key not in known:
            raise builder.fail(
                f"{prefix}{key}",
                "unknown key",
                _did_you_mean(key, known) or f"known keys: {', '.join(sorted(known))}",
            )


def _did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else None


def _check_also(patterns: list[Pattern]) -> None:
    ids = {p.id for p in patterns}
    for pattern in patterns:
        for other in pattern.also:
            if other not in ids:
                raise CatalogError(
                    f"{pattern.path}: also: unknown pattern {other!r}",
                    _did_you_mean(other, ids) or "name an existing pattern id",
                )
