"""Account state, reconstructed from messages: EmailEngine never logs "state changed".

The transitions are data (patterns/_rules/states.toml, loaded by accountrules.py); this
module evaluates them: the first transition whose block holds decides.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from eelogs.accountrules import (
    STATES,
    UNCHANGED,
    AccountRules,
    Recovery,
    Transition,
    account_rules,
    named_messages,
)
from eelogs.conditions import Block
from eelogs.match import Judge
from eelogs.parse import Record

__all__ = ["ERROR_STATES", "STATES", "StateMachine", "next_state", "recovery_kind"]

ERROR_STATES = frozenset({"authenticationError", "connectError", "unset", "disconnected"})
SHORT_LIVED_MS = 5 * 60_000  # EmailEngine's STABLE_CONNECTION_TIME
_MEMO_LIMIT = 50_000  # messages with ids come forever: the index per message is bounded


class StateMachine:
    """The transitions and recovery kinds of a rule set, indexed by the messages their
    blocks name, so a record is tested only against the rules that could hold for it."""

    def __init__(self, rules: AccountRules) -> None:
        self._judge = Judge()
        self._transitions = rules.transitions
        self._recoveries = rules.recoveries
        self._by_msg = _msg_index([t.match for t in self._transitions])
        self._recovery_by_msg = _msg_index([r.match for r in self._recoveries])
        self._memo: dict[str, tuple[tuple[Transition, ...], tuple[Recovery, ...]]] = {}

    def _candidates(self, msg: str) -> tuple[tuple[Transition, ...], tuple[Recovery, ...]]:
        found = self._memo.get(msg)
        if found is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            found = self._memo[msg] = (
                tuple(self._transitions[i] for i in self._by_msg(msg)),
                tuple(self._recoveries[i] for i in self._recovery_by_msg(msg)),
            )
        return found

    def next_state(self, record: Record, current: str) -> str | None:
        """The state this record moves the account to, or None when it says nothing."""
        for transition in self._candidates(record.msg)[0]:
            if self._judge.holds_any("states", transition.match, record):
                if transition.to == UNCHANGED:
                    return None
                if transition.applies_in is not None and current not in transition.applies_in:
                    return None
                return transition.to
        return None

    def recovery_kind(self, record: Record) -> str | None:
        """What this record proves working again (login, token, send…), or None."""
        for recovery in self._candidates(record.msg)[1]:
            if self._judge.holds_any("states", recovery.match, record):
                return recovery.kind
        return None


def _msg_index(rules: list[tuple[Block, ...]]) -> Callable[[str], list[int]]:
    """A function giving, for a message, the indexes (in order) of the rules that could hold:
    those with a block naming the message in a `msg` eq condition, and those with a block
    that names no message at all."""
    named: dict[str, set[int]] = {}
    always: set[int] = set()
    for i, blocks in enumerate(rules):
        for block in blocks:
            msgs = named_messages(block)
            if not msgs:
                always.add(i)
            for msg in msgs:
                named.setdefault(msg, set()).add(i)

    def candidates(msg: str) -> list[int]:
        return sorted(named.get(msg, set()) | always)

    return candidates


@functools.cache
def _machine() -> StateMachine:
    return StateMachine(account_rules())


def next_state(record: Record, current: str) -> str | None:
    """The state this record moves the account to under the shipped rules, or None."""
    return _machine().next_state(record, current)


def recovery_kind(record: Record) -> str | None:
    """What this record proves working again under the shipped rules, or None."""
    return _machine().recovery_kind(record)


def clock_step(connected_at: int | None, t: int | None, state: str) -> tuple[int | None, bool]:
    """One connect or disconnect on an account's connection clock: when its connection
    came up after this, and whether this disconnect ended a short-lived connection. A pure
    step, so that an account keeps only the one time (millions of accounts may be seen)."""
    if t is None:
        return connected_at, False
    if state == "connected":
        return t, False
    if state == "disconnected" and connected_at is not None:
        return None, t - connected_at < SHORT_LIVED_MS
    return connected_at, False
