"""Run every pattern's embedded examples and the catalog-wide rules.

Shared by `eelogs patterns check` and the test suite, so a pattern author gets the same
verdict locally as CI.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from eelogs.catalog import Catalog, Pattern
from eelogs.conditions import Example
from eelogs.framing import deframe
from eelogs.match import Classifier
from eelogs.parse import Record, parse_payload


@dataclass(frozen=True, slots=True)
class Failure:
    pattern: str
    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.pattern}: {self.where}: {self.problem}"


def example_record(example: Example) -> Record | None:
    """An example line, read the way eelogs reads any log line (any framing)."""
    return read_line(example.line)


def read_line(text: str) -> Record | None:
    """One log line (or pasted record) as a Record, or None when it is not one."""
    for payload in deframe(text.splitlines(), "example"):
        entry = parse_payload(payload)
        return entry if isinstance(entry, Record) else None
    return None


def check_example(classifier: Classifier, pattern: Pattern, example: Example) -> str | None:
    """None when the example behaves as declared, else what went wrong."""
    record = example_record(example)
    if record is None:
        return "the line is not a log record eelogs can read"
    fields = classifier.try_pattern(pattern, record)
    matched = fields is not None
    if example.expect in ("no-match", "todo-match"):
        if (
            matched
            and example.expect == "no-match"
            and _claimed_by_a_finer_form(classifier, pattern, record)
        ):
            return None
        if matched:
            return (
                "matches, but must not"
                if example.expect == "no-match"
                else 'todo-match now matches: make it expect = "match"'
            )
        return None
    if not matched:
        return (
            "does not match"
            if example.expect == "match"
            else 'todo-no-match no longer matches: make it expect = "no-match"'
        )
    if example.expect == "todo-no-match":
        return None
    assert fields is not None
    for name, want in example.fields.items():
        if fields.get(name) != want:
            return f"field {name!r} is {fields.get(name)!r}, expected {want!r}"
    winner = classifier.classify(record)
    if winner is None or winner.pattern.id != pattern.id:
        return f"{winner.pattern.id if winner else None} wins over this pattern (priority)"
    others = [
        m.pattern.id
        for m in classifier.all_matches(record)
        if m.pattern.id != pattern.id
        and m.pattern.id not in pattern.also
        and not m.pattern.fallback
    ]
    if others:
        return f"also matches {', '.join(others)}: declare also = [...] or narrow the pattern"
    return None


def _claimed_by_a_finer_form(classifier: Classifier, pattern: Pattern, record: Record) -> bool:
    """A line this pattern's blocks fit, which a more specific pattern (one declaring this
    one in `also`, with a higher priority) wins: it is not classified as this pattern."""
    winner = classifier.classify(record)
    return winner is not None and pattern.id in winner.pattern.also


def check_catalog(catalog: Catalog) -> list[Failure]:
    """Every example, plus: each [[match]] block has a positive example that uses it."""
    classifier = Classifier(catalog)
    failures: list[Failure] = []
    for pattern in catalog.patterns:
        for example in pattern.examples:
            problem = check_example(classifier, pattern, example)
            if problem:
                failures.append(Failure(pattern.id, f"examples[{example.index}]", problem))
        failures.extend(_unexercised_blocks(classifier, pattern))
    failures.extend(_table_examples(classifier, catalog))
    return failures


def _table_examples(classifier: Classifier, catalog: Catalog) -> Iterator[Failure]:
    """The contexts' and the expected table's own examples."""
    for context in catalog.tables.contexts:
        for example in context.examples:
            record = example_record(example)
            got = classifier.context(record) if record is not None else None
            if (got == context.id) != (example.expect in ("match", "todo-no-match")):
                where = f"examples[{example.index}]"
                yield Failure(f"context {context.id}", where, f"the line's context is {got!r}")
    for index, expected in enumerate(catalog.tables.expected):
        for example in expected.examples:
            record = example_record(example)
            held = record is not None and any(
                classifier.holds_block("expected", b, record) for b in expected.match
            )
            if held != (example.expect in ("match", "todo-no-match")):
                where = f"examples[{example.index}]"
                yield Failure(f"expected[{index}]", where, "holds" if held else "does not hold")


def _unexercised_blocks(classifier: Classifier, pattern: Pattern) -> Iterator[Failure]:
    records = [
        r for e in pattern.examples if e.expect == "match" if (r := example_record(e)) is not None
    ]
    for index in range(len(pattern.match)):
        single = _only_block(pattern, index)
        if not any(classifier.try_pattern(single, r) is not None for r in records):
            yield Failure(
                pattern.id,
                f"match[{index}]",
                'no expect = "match" example uses this block: add one',
            )


def _only_block(pattern: Pattern, index: int) -> Pattern:
    from dataclasses import replace

    return replace(pattern, match=(pattern.match[index],), fields=())


def findings_in(classifier: Classifier, records: Iterable[Record]) -> Iterator[tuple[Record, str]]:
    """Records of a supposedly healthy log that some pattern claims (false positives)."""
    for record in records:
        found = classifier.classify(record)
        if found is not None:
            yield record, found.pattern.id
