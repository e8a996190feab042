"""The coverage inventory (patterns/_inventory/): every warn, error and fatal log call of
EmailEngine's source, with what eelogs does with it, checked against the engine.

Each `[[site]]` was written by reading the source, not by running eelogs: its outcome
(`pattern`: the message names a cause; `context`: the message names an operation and the
error's signals decide the cause; `ignored`: not an operator problem, with the reason), its
context, and an example line with the pattern id it must get ("" for none). `eelogs patterns
check` runs every example and prints the coverage.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from eelogs.catalog import Catalog, default_folder
from eelogs.errors import CatalogError
from eelogs.match import Classifier
from eelogs.selftest import read_line

OUTCOMES = ("pattern", "context", "ignored")
INVENTORY_FOLDER = "_inventory"


@dataclass(frozen=True, slots=True)
class Site:
    source: str  # inventory file, for messages
    file: str
    line: int
    level: str
    msg: str
    outcome: str
    context: str | None
    pattern: str | None
    reason: str
    example: str
    expect: str | None


@dataclass(frozen=True, slots=True)
class Coverage:
    sites: tuple[Site, ...]
    failures: tuple[str, ...]

    def counts(self) -> Counter[str]:
        return Counter(site.outcome for site in self.sites)

    def summary(self) -> str:
        counts = self.counts()
        total = len(self.sites)
        parts = ", ".join(f"{counts[o]} {_OUTCOME_WORDS[o]}" for o in OUTCOMES)
        return f"coverage: {total} EmailEngine log call sites: {parts}"


_OUTCOME_WORDS = {
    "pattern": "name a cause (pattern)",
    "context": "name an operation (context; the error decides the cause)",
    "ignored": "deliberately ignored",
}


def inventory_folder() -> Path:
    return default_folder() / INVENTORY_FOLDER


def load_sites(folder: Path | None = None) -> tuple[Site, ...]:
    folder = folder or inventory_folder()
    sites: list[Site] = []
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CatalogError(f"{path}: cannot read: {exc}", "check the file") from exc
        sites.extend(_site(path, i, table) for i, table in enumerate(data.get("site", [])))
    return tuple(sites)


def _site(path: Path, index: int, table: dict[str, object]) -> Site:
    def text(key: str) -> str:
        value = table.get(key, "")
        return value if isinstance(value, str) else str(value)

    outcome = text("outcome")
    if outcome not in OUTCOMES:
        raise CatalogError(
            f"{path}: site[{index}].outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}",
            'write outcome = "context"',
        )
    line = table.get("line")
    return Site(
        source=f"{path.name}:site[{index}]",
        file=text("file"),
        line=line if isinstance(line, int) else 0,
        level=text("level"),
        msg=text("msg"),
        outcome=outcome,
        context=text("context") or None,
        pattern=text("pattern") or None,
        reason=text("reason"),
        example=text("example"),
        expect=text("expect") or None,
    )


def check_coverage(catalog: Catalog, sites: tuple[Site, ...] | None = None) -> Coverage:
    """Run every site's example through the classifier: the pattern it gets must be the
    listed one, and its context the listed one."""
    sites = load_sites() if sites is None else sites
    classifier = Classifier(catalog)
    known = {p.id for p in catalog.patterns}
    return Coverage(sites, tuple(_problems(classifier, known, sites)))


def _problems(classifier: Classifier, known: set[str], sites: tuple[Site, ...]) -> Iterator[str]:
    for site in sites:
        where = f"{site.source} ({site.file}:{site.line} {site.msg!r})"
        record = read_line(site.example)
        if record is None:
            yield f"{where}: the example is not a log record"
            continue
        if site.expect is not None and site.expect not in known:
            yield f"{where}: expects {site.expect!r}, which the catalog does not have"
            continue
        found, context = classifier.classify_with_context(record)
        got = found.pattern.id if found else None
        if got != site.expect:
            yield f"{where}: example gets {got!r}, the inventory says {site.expect!r}"
        if site.outcome != "ignored" and site.context not in (None, context):
            yield f"{where}: context is {context!r}, the inventory says {site.context!r}"
