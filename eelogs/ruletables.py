"""The catalog's shared tables (patterns/_rules/): named lists, contexts, provider codes,
and what EmailEngine marks as expected.

- lists.toml     `name = [...]`: values patterns reference as `"@name"`, written once.
- contexts.toml  `[[context]]`: the operation a record is about (IMAP login, SMTP send, OAuth
                 token refresh, …), decided once per record by the first context whose
                 blocks hold. A pattern may restrict itself to contexts; a finding names the
                 contexts it was seen in.
- codes.toml     `[[code]]`: provider codes (AADSTS…, Google OAuth and Gmail API errors), each
                 with its meaning, its own remedy and the pattern it belongs to. The pattern's
                 signal block is derived from this table: a code is written only here.
- expected.toml  `[[expected]]`: records EmailEngine logs on purpose as harmless (the error
                 sink of a client it already replaced): they never make a finding.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eelogs.conditions import Block, BlockCompiler, Example
from eelogs.errors import CatalogError

CONTEXT_KEYS = {"id", "title", "match", "examples"}
CODE_KEYS = {"signal", "pattern", "meaning", "remedy"}
EXPECTED_KEYS = {"reason", "match", "examples"}


@dataclass(frozen=True, slots=True)
class Context:
    id: str
    title: str
    match: tuple[Block, ...]
    examples: tuple[Example, ...]


@dataclass(frozen=True, slots=True)
class Code:
    signal: str
    pattern: str
    meaning: str
    remedy: str


@dataclass(frozen=True, slots=True)
class Expected:
    reason: str
    match: tuple[Block, ...]
    examples: tuple[Example, ...]


@dataclass(frozen=True, slots=True)
class RuleTables:
    lists: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    contexts: tuple[Context, ...] = ()
    codes: tuple[Code, ...] = ()
    expected: tuple[Expected, ...] = ()

    def context(self, context_id: str) -> Context | None:
        return next((c for c in self.contexts if c.id == context_id), None)

    def codes_for(self, pattern_id: str) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.pattern == pattern_id)

    def context_title(self, context_id: str) -> str:
        """The operation's name for people (`IMAP login`), or its id when it has none."""
        found = self.context(context_id)
        return found.title if found else context_id


def load_tables(folder: Path) -> RuleTables:
    """The tables in `folder` (patterns/_rules); a missing file is an empty table."""
    lists = _lists(folder / "lists.toml")
    return RuleTables(
        lists=lists,
        contexts=_contexts(folder / "contexts.toml", lists),
        codes=_codes(folder / "codes.toml"),
        expected=_expected(folder / "expected.toml", lists),
    )


def read_table(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}", "check the file's syntax") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read: {exc}", "check the file") from exc


def _lists(path: Path) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for name, values in read_table(path).items():
        if not isinstance(values, list) or not values:
            raise CatalogError(f"{path}: {name}: not a list of values", f"write {name} = [...]")
        out[name] = tuple(values)
    return out


def _contexts(path: Path, lists: dict[str, tuple[Any, ...]]) -> tuple[Context, ...]:
    compiler = BlockCompiler(path, lists)
    out: list[Context] = []
    for i, table in enumerate(read_table(path).get("context", [])):
        where = f"context[{i}]"
        compiler.unknown(table, CONTEXT_KEYS, f"{where}.")
        cid, title = table.get("id"), table.get("title")
        if not isinstance(cid, str) or not isinstance(title, str):
            raise compiler.fail(where, "id and title are required", 'id = "imap-auth"')
        if any(c.id == cid for c in out):
            raise compiler.fail(f"{where}.id", f"{cid!r} is defined twice", "merge the two")
        blocks, examples = _blocks_and_examples(compiler, where, table, "context")
        out.append(Context(cid, title, blocks, examples))
    return tuple(out)


def _blocks_and_examples(
    compiler: BlockCompiler, where: str, table: dict[str, Any], kind: str
) -> tuple[tuple[Block, ...], tuple[Example, ...]]:
    """A table's [[<kind>.match]] blocks (at least one) and its [[<kind>.examples]]."""
    blocks = table.get("match")
    if not isinstance(blocks, list) or not blocks:
        raise compiler.fail(f"{where}.match", f"no [[{kind}.match]] block", "add one")
    return (
        tuple(compiler.block(f"{where}.match[{j}]", b) for j, b in enumerate(blocks)),
        compiler.examples(f"{where}.examples", table.get("examples")),
    )


def _codes(path: Path) -> tuple[Code, ...]:
    compiler = BlockCompiler(path)
    out: list[Code] = []
    for i, table in enumerate(read_table(path).get("code", [])):
        where = f"code[{i}]"
        compiler.unknown(table, CODE_KEYS, f"{where}.")
        if not all(isinstance(table.get(k), str) and table[k].strip() for k in CODE_KEYS):
            raise compiler.fail(where, "signal, pattern, meaning and remedy are required", "")
        compiler.condition(where, "signal", table["signal"])  # checks kind:value
        if any(c.signal == table["signal"] for c in out):
            raise compiler.fail(where, f"{table['signal']!r} is listed twice", "keep one row")
        out.append(Code(table["signal"], table["pattern"], table["meaning"], table["remedy"]))
    return tuple(out)


def _expected(path: Path, lists: dict[str, tuple[Any, ...]]) -> tuple[Expected, ...]:
    compiler = BlockCompiler(path, lists)
    out: list[Expected] = []
    for i, table in enumerate(read_table(path).get("expected", [])):
        where = f"expected[{i}]"
        compiler.unknown(table, EXPECTED_KEYS, f"{where}.")
        if not isinstance(table.get("reason"), str):
            raise compiler.fail(where, "reason is required", 'reason = "why this is harmless"')
        blocks, examples = _blocks_and_examples(compiler, where, table, "expected")
        out.append(Expected(table["reason"], blocks, examples))
    return tuple(out)
