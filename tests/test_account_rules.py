"""The account rules (patterns/_rules/states.toml, providers.toml): their examples hold, and
every rule in them is needed by some example, so an edit that drops or loosens one turns a
test red instead of silently changing reports."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from eelogs.accountrules import AccountRules, account_rules, named_messages, state_messages
from eelogs.framing import Payload
from eelogs.parse import Record, parse_payload
from eelogs.providers import ProviderRules
from eelogs.states import StateMachine

RULES = account_rules()


def _record(line: str) -> Record:
    found = parse_payload(Payload(line, None, "examples", 1, "json"))
    assert isinstance(found, Record), line
    return found


def _state_outcomes(rules: AccountRules) -> list[tuple[str, str | None]]:
    machine = StateMachine(rules)
    out = []
    for ex in rules.state_examples:
        record, before = _record(ex["line"]), ex.get("before", "unknown")
        after = machine.next_state(record, before) or before
        out.append((after, machine.recovery_kind(record)))
    return out


def _provider_outcomes(rules: AccountRules) -> list[tuple[list[str], str | None]]:
    judge = ProviderRules(rules)
    out = []
    for ex in rules.provider_examples:
        record = _record(ex["line"])
        clues = sorted(f"{p}:{w}" for p, w in judge.signals(record))
        out.append((clues, judge.auth_method(record)))
    return out


def test_state_examples_hold() -> None:
    for ex, (after, kind) in zip(RULES.state_examples, _state_outcomes(RULES), strict=True):
        assert after == ex["after"], ex["line"]
        assert kind == ex.get("recovery"), ex["line"]


def test_provider_examples_hold() -> None:
    for ex, (clues, auth) in zip(RULES.provider_examples, _provider_outcomes(RULES), strict=True):
        assert clues == sorted(ex["clues"]), ex["line"]
        assert auth == ex.get("auth"), ex["line"]


def _without(rules: AccountRules, name: str, index: int) -> AccountRules:
    items: tuple[Any, ...] = getattr(rules, name)
    return dataclasses.replace(rules, **{name: items[:index] + items[index + 1 :]})


@pytest.mark.parametrize("name", ["transitions", "recoveries"])
def test_every_state_rule_is_needed(name: str) -> None:
    expected = _state_outcomes(RULES)
    for i in range(len(getattr(RULES, name))):
        assert _state_outcomes(_without(RULES, name, i)) != expected, f"{name}[{i}] is untested"


def test_transition_order_matters_where_it_is_written() -> None:
    """Where two transitions can hold for the same record (the same message, and values
    that agree on every field both test), the first decides: moving the later one first
    must change an example, so the order written is the order tested."""
    expected = _state_outcomes(RULES)
    pairs = 0
    ts = RULES.transitions
    for i in range(len(ts)):
        for j in range(i + 1, len(ts)):
            if not _overlap(ts[i], ts[j]):
                continue
            pairs += 1
            moved = (*ts[:i], ts[j], *ts[i:j], *ts[j + 1 :])
            swapped = dataclasses.replace(RULES, transitions=moved)
            assert _state_outcomes(swapped) != expected, f"order of transitions {i}, {j}"
    assert pairs >= 2


def _overlap(a: Any, b: Any) -> bool:
    for block_a in a.match:
        for block_b in b.match:
            tests_a = {c.path: set(c.values) for c in block_a.conditions}
            tests_b = {c.path: set(c.values) for c in block_b.conditions}
            if all(tests_a[k] & tests_b[k] for k in tests_a.keys() & tests_b.keys()):
                return True
    return False


def _msgs(transition: Any) -> list[str]:
    return [msg for b in transition.match for msg in named_messages(b)]


@pytest.mark.parametrize("name", ["clues", "auth", "lookups"])
def test_every_provider_rule_is_needed(name: str) -> None:
    expected = _provider_outcomes(RULES)
    for i in range(len(getattr(RULES, name))):
        assert _provider_outcomes(_without(RULES, name, i)) != expected, f"{name}[{i}] untested"


def test_every_block_condition_and_lookup_path_is_needed() -> None:
    """Dropping one condition from a block (a looser rule) or one path from a lookup changes
    an example: each condition is there for a reason an example shows."""
    expected_states, expected_providers = _state_outcomes(RULES), _provider_outcomes(RULES)
    for name in ("transitions", "recoveries", "clues", "auth"):
        for i, rule in enumerate(getattr(RULES, name)):
            for j, block in enumerate(rule.match):
                for k in range(len(block.conditions) if len(block.conditions) > 1 else 0):
                    loose = dataclasses.replace(
                        block, conditions=block.conditions[:k] + block.conditions[k + 1 :]
                    )
                    blocks = (*rule.match[:j], loose, *rule.match[j + 1 :])
                    items = list(getattr(RULES, name))
                    items[i] = dataclasses.replace(rule, match=blocks)
                    mutated = dataclasses.replace(RULES, **{name: tuple(items)})
                    changed = (
                        _state_outcomes(mutated) != expected_states
                        if name in ("transitions", "recoveries")
                        else _provider_outcomes(mutated) != expected_providers
                    )
                    cond = block.conditions[k]
                    # a state rule's message is how the engine finds it: without one, the
                    # last test of this file fails instead
                    told = name in ("transitions", "recoveries") and cond.path == "msg"
                    assert changed or told, f"{name}[{i}].match[{j}]: {cond.path}|{cond.modifier}"
    for i, lookup in enumerate(RULES.lookups):
        for k in range(len(lookup.paths)):
            items = list(RULES.lookups)
            items[i] = dataclasses.replace(lookup, paths=lookup.paths[:k] + lookup.paths[k + 1 :])
            mutated = dataclasses.replace(RULES, lookups=tuple(items))
            assert _provider_outcomes(mutated) != expected_providers, lookup.paths[k]


def test_every_host_and_domain_row_is_needed() -> None:
    expected = _provider_outcomes(RULES)
    for i in range(len(RULES.hosts)):
        assert _provider_outcomes(_without(RULES, "hosts", i)) != expected, RULES.hosts[i][0]
    for domain in ("gmail.com", "outlook.com", "icloud.com", "fastmail.com", "yahoo.com"):
        fewer = {d: p for d, p in RULES.domains.items() if d != domain}
        if domain in RULES.domains:
            mutated = dataclasses.replace(RULES, domains=fewer)
            assert _provider_outcomes(mutated) != expected, domain


def test_every_transition_is_told_by_its_message() -> None:
    """The engine finds the records that can move a state by their message: a transition
    block without a `msg` eq condition would have to be tried on every record."""
    for transition in RULES.transitions:
        assert all(_msgs(dataclasses.replace(transition, match=(b,))) for b in transition.match)
    plain, conditional = state_messages(RULES)
    assert "Connection closed" in conditional and "New message" in plain
