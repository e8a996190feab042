"""The rules about accounts, read from the catalog's tables (patterns/_rules/): how records
move an account's state (states.toml) and which provider and sign-in method they show
(providers.toml). Written as data in the patterns' own "path|modifier" language, with
examples; states.py and providers.py evaluate them, and the engine derives from them which
fields and which lines matter (`paths`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from eelogs.conditions import VIRTUAL_PATHS, Block, BlockCompiler
from eelogs.resources import data_dir
from eelogs.ruletables import read_table

STATES = (
    "connecting",
    "syncing",
    "connected",
    "authenticationError",
    "connectError",
    "unset",
    "disconnected",
    "paused",
    "unknown",
)
UNCHANGED = "unchanged"  # a transition that stops the search without a move
LOOKUP_TABLES = ("hosts", "domains")
# The keys each table of states.toml and providers.toml accepts (docs/pattern-format.md).
TRANSITION_KEYS = {"to", "from", "match"}
RECOVERY_KEYS = {"kind", "match"}
CLUE_KEYS = {"provider", "weight", "match"}
LOOKUP_KEYS = {"table", "paths", "weight", "unknown_weight"}
AUTH_KEYS = {"method", "match"}
STATE_EXAMPLE_KEYS = {"line", "before", "after", "recovery", "note"}
PROVIDER_EXAMPLE_KEYS = {"line", "clues", "auth", "note"}


@dataclass(frozen=True, slots=True)
class Transition:
    to: str
    applies_in: frozenset[str] | None  # None: from any state
    match: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Recovery:
    kind: str
    match: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Clue:
    provider: str
    weight: int
    match: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Lookup:
    table: str
    paths: tuple[str, ...]
    weight: int
    unknown_weight: int | None


@dataclass(frozen=True, slots=True)
class AuthRule:
    method: str
    match: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class AccountRules:
    transitions: tuple[Transition, ...]
    recoveries: tuple[Recovery, ...]
    state_examples: tuple[dict[str, Any], ...]
    hosts: tuple[tuple[str, Any], ...]  # (provider, compiled regex), in file order
    domains: dict[str, str]  # email domain → provider
    lookups: tuple[Lookup, ...]
    clues: tuple[Clue, ...]
    auth: tuple[AuthRule, ...]
    provider_examples: tuple[dict[str, Any], ...]


@functools.cache
def account_rules() -> AccountRules:
    """The shipped rules (one load per process)."""
    return load_account_rules(data_dir("patterns") / "_rules")


def load_account_rules(folder: Path) -> AccountRules:
    states, providers = folder / "states.toml", folder / "providers.toml"
    s, p = read_table(states), read_table(providers)
    sc, pc = BlockCompiler(states), BlockCompiler(providers)
    return AccountRules(
        transitions=tuple(_transition(sc, i, t) for i, t in enumerate(s.get("transition", []))),
        recoveries=tuple(
            Recovery(
                _text(sc, f"recovery[{i}].kind", t.get("kind")),
                _blocks(sc, f"recovery[{i}]", t, RECOVERY_KEYS),
            )
            for i, t in enumerate(s.get("recovery", []))
        ),
        state_examples=_examples(sc, s, STATE_EXAMPLE_KEYS),
        hosts=tuple(
            (provider, pc.regex(f"hosts.{provider}", source))
            for provider, sources in p.get("hosts", {}).items()
            for source in sources
        ),
        domains={d.lower(): prov for prov, names in p.get("domains", {}).items() for d in names},
        lookups=tuple(_lookup(pc, i, t) for i, t in enumerate(p.get("lookup", []))),
        clues=tuple(
            Clue(
                _text(pc, f"clue[{i}].provider", t.get("provider")),
                _int(pc, f"clue[{i}].weight", t.get("weight")),
                _blocks(pc, f"clue[{i}]", t, CLUE_KEYS),
            )
            for i, t in enumerate(p.get("clue", []))
        ),
        auth=tuple(
            AuthRule(
                _text(pc, f"auth[{i}].method", t.get("method")),
                _blocks(pc, f"auth[{i}]", t, AUTH_KEYS),
            )
            for i, t in enumerate(p.get("auth", []))
        ),
        provider_examples=_examples(pc, p, PROVIDER_EXAMPLE_KEYS),
    )


def _examples(
    compiler: BlockCompiler, table: dict[str, Any], keys: set[str]
) -> tuple[dict[str, Any], ...]:
    examples = table.get("examples", [])
    for i, example in enumerate(examples):
        compiler.unknown(example, keys, f"examples[{i}].")
        if not isinstance(example.get("line"), str):
            raise compiler.fail(f"examples[{i}].line", "missing", "paste a real log line")
    return tuple(examples)


def _transition(compiler: BlockCompiler, i: int, table: dict[str, Any]) -> Transition:
    where = f"transition[{i}]"
    blocks = _blocks(compiler, where, table, TRANSITION_KEYS)
    to = _text(compiler, f"{where}.to", table.get("to"))
    if to not in (*STATES, UNCHANGED):
        raise compiler.fail(f"{where}.to", f"{to!r} is not a state", f"use {', '.join(STATES)}")
    applies_in = table.get("from")
    if applies_in is not None and not (
        isinstance(applies_in, list) and applies_in and set(applies_in) <= set(STATES)
    ):
        raise compiler.fail(f"{where}.from", "not a list of states", f"use {', '.join(STATES)}")
    return Transition(to, frozenset(applies_in) if applies_in else None, blocks)


def _lookup(compiler: BlockCompiler, i: int, table: dict[str, Any]) -> Lookup:
    where = f"lookup[{i}]"
    compiler.unknown(table, LOOKUP_KEYS, f"{where}.")
    name = table.get("table")
    if name not in LOOKUP_TABLES:
        raise compiler.fail(f"{where}.table", f"{name!r} is not a table", "hosts or domains")
    paths = table.get("paths")
    if not isinstance(paths, list) or not paths or not all(isinstance(x, str) for x in paths):
        raise compiler.fail(f"{where}.paths", "not a list of field paths", 'paths = ["host"]')
    unknown = table.get("unknown_weight")
    return Lookup(
        name,
        tuple(paths),
        _int(compiler, f"{where}.weight", table.get("weight")),
        None if unknown is None else _int(compiler, f"{where}.unknown_weight", unknown),
    )


def _blocks(
    compiler: BlockCompiler, where: str, table: dict[str, Any], keys: set[str]
) -> tuple[Block, ...]:
    """A table's [[…match]] blocks, once its keys are known ones."""
    compiler.unknown(table, keys, f"{where}.")
    blocks = table.get("match")
    if not isinstance(blocks, list) or not blocks:
        raise compiler.fail(f"{where}.match", "no [[…match]] block", "add one")
    return tuple(compiler.block(f"{where}.match[{j}]", b) for j, b in enumerate(blocks))


def _text(compiler: BlockCompiler, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise compiler.fail(where, "missing or not a string", "give a name")
    return value


def _int(compiler: BlockCompiler, where: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise compiler.fail(where, "not a positive whole number", "weight = 5")
    return value


# An email address's domain, for the [domains] table.
_EMAIL_DOMAIN = regex.compile(r"@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


def email_domain(address: str) -> str | None:
    found = _EMAIL_DOMAIN.search(address)
    return found.group(1).lower() if found else None


# What the columnar fast path (fastplan.py, fastbulk.py) needs to know about these rules,
# derived from them: the fast path reads raw lines, so it asks which messages and which
# top-level fields can matter, and which outcomes of which tests a combination is keyed by.


def clue_and_auth_blocks(rules: AccountRules) -> list[Block]:
    """The blocks of the clue and sign-in rules."""
    return [b for c in rules.clues for b in c.match] + [b for a in rules.auth for b in a.match]


def named_messages(block: Block) -> tuple[str, ...]:
    """The messages a block names in its `msg` eq condition (none: it names no message)."""
    found = [c for c in block.conditions if c.path == "msg" and c.modifier == "eq"]
    return tuple(str(v) for v in found[0].values) if found else ()


def state_messages(rules: AccountRules) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """(messages whose state effect depends on the message alone, {message whose effect also
    depends on other fields: those fields}). Transition blocks are told by a `msg` eq
    condition (tests/test_account_rules.py checks that each has one)."""
    plain: dict[str, None] = {}
    conditional: dict[str, dict[str, None]] = {}
    for transition in rules.transitions:
        for block in transition.match:
            others = [c.path for c in block.conditions if c.path != "msg"]
            for msg in named_messages(block):
                if others:
                    conditional.setdefault(msg, {}).update(dict.fromkeys(others))
                else:
                    plain[msg] = None
    return (
        tuple(m for m in plain if m not in conditional),
        {msg: tuple(keys) for msg, keys in conditional.items()},
    )


def recovery_messages(rules: AccountRules) -> dict[str, str]:
    """Message → recovery kind, for recoveries told by their message alone."""
    return {
        msg: recovery.kind
        for recovery in rules.recoveries
        for block in recovery.match
        if len(block.conditions) == 1
        for msg in named_messages(block)
    }


def clue_keys(rules: AccountRules) -> tuple[str, ...]:
    """The top-level record fields clue, lookup and sign-in rules read (besides the virtual
    ones and `err`, whose lines the fast path routes per-line anyway)."""
    paths = [c.path for b in clue_and_auth_blocks(rules) for c in b.conditions]
    paths.extend(p for lookup in rules.lookups for p in lookup.paths)
    return tuple(
        dict.fromkeys(p for p in paths if p not in VIRTUAL_PATHS and not p.startswith("err."))
    )


def clue_message_tests(rules: AccountRules) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(regex sources, exact texts): every test clue and sign-in rules make on `msg`, so
    that a message can be keyed by which of them it passes (greetings carry ids)."""
    sources: dict[str, None] = {}
    exact: dict[str, None] = {}
    conds = [c for b in clue_and_auth_blocks(rules) for c in b.conditions if c.path == "msg"]
    for cond in conds:
        if cond.modifier == "eq":
            exact.update(dict.fromkeys(str(v) for v in cond.values))
            continue
        texts = [regex.escape(str(v)) for v in cond.values]
        forms = {
            "re": [c.pattern for c in cond.compiled],
            "startswith": [f"^(?:{t})" for t in texts],
            "endswith": [f"(?:{t})$" for t in texts],
            "contains": texts,
        }
        sources.update(dict.fromkeys(forms.get(cond.modifier, [])))
    return tuple(sources), tuple(exact)


_WORD = regex.compile(r"[A-Za-z][A-Za-z0-9]{4,}")


def url_words(rules: AccountRules) -> tuple[str, ...]:
    """Words of the rules' tests on URLs beyond the scheme: a URL whose path holds none of
    them counts through its scheme and host alone."""
    words: dict[str, None] = {}
    conds = [c for b in clue_and_auth_blocks(rules) for c in b.conditions if c.path.endswith("url")]
    for cond in conds:
        texts = [c.pattern for c in cond.compiled] or [str(v) for v in cond.values]
        for text in texts:
            words.update(dict.fromkeys(w.lower() for w in _WORD.findall(text)))
    return tuple(w for w in words if w not in ("https", "http"))
