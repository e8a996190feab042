"""Wire the stages: inputs → framing → records → (time/account filter) → classification."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from eelogs.framing import deframe
from eelogs.parse import Record, Unparsed, parse_payload
from eelogs.sources import Input, read_lines


@dataclass(frozen=True, slots=True)
class Window:
    """The records a run looks at: a time range and, optionally, some accounts only."""

    since_ms: int | None = None
    until_ms: int | None = None
    accounts: frozenset[str] = field(default_factory=frozenset)

    def admits(self, record: Record) -> bool:
        t = record.time_ms
        if t is not None:
            if self.since_ms is not None and t < self.since_ms:
                return False
            if self.until_ms is not None and t >= self.until_ms:
                return False
        return not self.accounts or record.account in self.accounts


def read_entries(inputs: Iterable[Input]) -> Iterator[Record | Unparsed]:
    """Every record and every unparsed line of the inputs, in input order."""
    for inp in inputs:
        for payload in deframe(read_lines(inp), inp.name, inp.account_hint):
            yield parse_payload(payload)
