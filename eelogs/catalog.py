"""Load, validate and compile the pattern catalog (patterns/<category>/<id>.toml)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eelogs.accountrules import account_rules
from eelogs.conditions import (
    LEVELS,
    Block,
    BlockCompiler,
    Condition,
    Example,
    did_you_mean,
)
from eelogs.errors import CatalogError
from eelogs.resources import data_dir
from eelogs.ruletables import RuleTables, load_tables

SEVERITIES = ("info", "low", "medium", "high", "critical")
SCOPES = ("account", "app", "instance")
PROVIDERS = ("gmail", "outlook", "yahoo", "icloud", "other", "unknown", "any")
DETECTORS = (
    "stuck-connecting",
    "flapping",
    "oauth-recurring",
    "webhook-burst",
    "crash-loop",
    "provider-incident",
)
SIGNAL_KINDS = tuple(dict.fromkeys(r.kind for r in account_rules().recoveries))
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
    "contexts",
    "min_level",
    "match",
    "exclude",
    "fields",
    "docs",
    "examples",
}
DOC_KEYS = {"what", "why", "fix", "providers", "references", "known_problems", "contexts"}
FIELD_KEYS = {"path", "re"}  # a [fields] entry written as a table
RULES_FOLDER = "_rules"  # shared tables, not patterns (ruletables.py)
DEFAULT_MIN_LEVEL = "info"  # debug and trace records make no finding unless a pattern opts in


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    path: str
    patterns: tuple[Any, ...] = ()  # tried in order; the first that finds gives the value


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
    contexts: tuple[str, ...]
    min_level: int
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
    tables: RuleTables = field(default_factory=RuleTables)

    def get(self, pattern_id: str) -> Pattern | None:
        return next((p for p in self.patterns if p.id == pattern_id), None)


def default_folder() -> Path:
    return data_dir("patterns")


def load_catalog(extra: Sequence[Path] = (), include_default: bool = True) -> Catalog:
    """Load the shipped catalog plus any extra folders; later folders may not reuse ids.
    The shared tables (lists, contexts, codes) are the shipped ones, also for a user's
    folder checked on its own: its patterns name the same contexts and lists."""
    folders = ([default_folder()] if include_default else []) + [Path(p) for p in extra]
    tables = load_tables(default_folder() / RULES_FOLDER)
    patterns: list[Pattern] = []
    seen: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            raise CatalogError(f"{folder}: not a folder", "pass a folder of *.toml patterns")
        for path in sorted(folder.rglob("*.toml")):
            if any(part.startswith("_") for part in path.relative_to(folder).parts):
                continue  # _rules/ and other shared data
            pattern = load_pattern(path, folder, tables)
            if pattern.id in seen:
                raise CatalogError(
                    f"{path}: id: {pattern.id!r} is already defined in {seen[pattern.id]}",
                    "give the pattern a new id",
                )
            seen[pattern.id] = path
            patterns.append(pattern)
    _check_also(patterns)
    if include_default:
        # the shipped code table names shipped patterns: a user's folder checked on its
        # own does not load them, and its own patterns simply get no code rows
        _check_codes(tables, seen)
    return Catalog(tuple(patterns), tuple(folders), tables)


def load_pattern(path: Path, root: Path, tables: RuleTables | None = None) -> Pattern:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(
            f"{path}: not valid TOML: {exc}",
            "quote dotted keys (\"err.code\" = …) and use '''…''' for lines",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read: {exc}", "check the file") from exc
    return _Builder(path, root, data, tables or RuleTables()).build()


class _Builder:
    def __init__(self, path: Path, root: Path, data: dict[str, Any], tables: RuleTables) -> None:
        self.path, self.root, self.data, self.tables = path, root, data, tables
        self.compiler = BlockCompiler(path, tables.lists)

    def fail(self, key: str, problem: str, hint: str) -> CatalogError:
        return self.compiler.fail(key, problem, hint)

    def build(self) -> Pattern:
        d = self.data
        self.compiler.unknown(d, TOP_KEYS, "")
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
        contexts = self._contexts(d.get("contexts", []))
        min_level = d.get("min_level", DEFAULT_MIN_LEVEL)
        self._check_choice("min_level", min_level, LEVELS)
        blocks = self._blocks(d.get("match", []), pid, contexts, LEVELS[min_level])
        if not blocks and not detector:
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
            contexts=contexts,
            min_level=LEVELS[min_level],
            match=blocks,
            exclude=tuple(
                self.compiler.block(f"exclude[{i}]", b) for i, b in enumerate(d.get("exclude", []))
            ),
            fields=self._fields(d.get("fields", {})),
            docs=self._docs(d.get("docs"), contexts),
            examples=self._examples(d.get("examples"), required=bool(blocks)),
            path=self.path,
        )

    def _blocks(
        self, tables: Any, pid: str, contexts: tuple[str, ...], min_level: int
    ) -> tuple[Block, ...]:
        """The [[match]] blocks, then the block the code table gives this pattern; each gets
        the pattern's context and level limits."""
        if not isinstance(tables, list):
            raise self.fail("match", "must be [[match]] tables", "write [[match]] blocks")
        codes = [c.signal for c in self.tables.codes_for(pid)]
        if codes:
            tables = [*tables, {"signal": codes}]
        out = []
        for i, table in enumerate(tables):
            extra = []
            if contexts:
                extra.append(Condition("context", "eq", contexts, texts=frozenset(contexts)))
            if not (isinstance(table, dict) and any(k.startswith("level") for k in table)):
                extra.append(Condition("level", "gte", (min_level,)))
            out.append(self.compiler.block(f"match[{i}]", table, extra))
        return tuple(out)

    def _contexts(self, names: Any) -> tuple[str, ...]:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise self.fail("contexts", "must be a list of context ids", 'contexts = ["imap-auth"]')
        known = [c.id for c in self.tables.contexts]
        for name in names:
            self._check_choice("contexts", name, known)
        return tuple(names)

    def _check_choice(self, key: str, value: Any, choices: Iterable[str]) -> None:
        choices = list(choices)
        if value not in choices:
            raise self.fail(
                key,
                f"{value!r} is not one of {', '.join(choices)}",
                did_you_mean(str(value), choices) or f"use one of {', '.join(choices)}",
            )

    def _fields(self, table: Any) -> tuple[FieldSpec, ...]:
        if not isinstance(table, dict):
            raise self.fail("fields", "must be a table", '[fields] name = "path"')
        out = []
        for name, spec in table.items():
            if isinstance(spec, str):
                out.append(FieldSpec(name, spec))
            elif isinstance(spec, dict) and isinstance(spec.get("path"), str):
                self.compiler.unknown(spec, FIELD_KEYS, f"fields.{name}.")
                sources = spec.get("re", [])
                sources = [sources] if isinstance(sources, str) else sources
                out.append(
                    FieldSpec(
                        name,
                        spec["path"],
                        tuple(self.compiler.regex(f"fields.{name}.re", src) for src in sources),
                    )
                )
            else:
                raise self.fail(
                    f"fields.{name}",
                    "must be a path or {path, re}",
                    "write name = \"err.code\" or name = {path = \"…\", re = '''…'''}",
                )
        return tuple(out)

    def _docs(self, docs: Any, contexts: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(docs, dict):
            raise self.fail("docs", "missing", "add [docs] with what, why and fix")
        self.compiler.unknown(docs, DOC_KEYS, "docs.")
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
        known = [c.id for c in self.tables.contexts]
        for name in docs.get("contexts", {}):
            self._check_choice("docs.contexts", name, known)
        return docs

    def _examples(self, examples: Any, required: bool) -> tuple[Example, ...]:
        if not required and not examples:
            return ()
        return self.compiler.examples("examples", examples)


def _check_also(patterns: list[Pattern]) -> None:
    ids = {p.id for p in patterns}
    for pattern in patterns:
        for other in pattern.also:
            if other not in ids:
                raise CatalogError(
                    f"{pattern.path}: also: unknown pattern {other!r}",
                    did_you_mean(other, ids) or "name an existing pattern id",
                )


def _check_codes(tables: RuleTables, seen: dict[str, Path]) -> None:
    for code in tables.codes:
        if code.pattern not in seen:
            raise CatalogError(
                f"codes.toml: {code.signal}: unknown pattern {code.pattern!r}",
                did_you_mean(code.pattern, seen) or "name an existing pattern id",
            )
