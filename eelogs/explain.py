"""`eelogs patterns show ID`: a pattern's remedy, written for the operator at a terminal."""

from __future__ import annotations

import textwrap

from eelogs.catalog import Pattern
from eelogs.conditions import LEVELS
from eelogs.providers import PROVIDER_NAMES
from eelogs.ruletables import RuleTables
from eelogs.safetext import visible

_LEVEL_NAMES = {number: name for name, number in LEVELS.items()}


def explain(pattern: Pattern, tables: RuleTables) -> str:
    docs = pattern.docs
    lines = [
        f"{pattern.id} — {pattern.title}",
        f"severity {pattern.severity} · category {pattern.category} · providers "
        f"{', '.join(pattern.providers)} · scope {pattern.scope}"
        + (f" · detector {pattern.detector}" if pattern.detector else "")
        + (" · cause not recognised (fallback)" if pattern.fallback else ""),
        "",
        f"Action: {pattern.action}",
        "",
    ]
    lines += _where(pattern, tables)
    for title, key in (("What", "what"), ("Why it matters", "why"), ("Fix", "fix")):
        lines.append(f"{title}:")
        lines.extend(_indent(str(docs[key]).replace("{account}", "<account>")))
        lines.append("")
    for context, note in (docs.get("contexts") or {}).items():
        lines.append(f"In {tables.context_title(context)} ({context}):")
        lines.extend(_indent(str(note)))
        lines.append("")
    codes = tables.codes_for(pattern.id)
    if codes:
        lines.append("Provider codes (each with its own remedy):")
        for code in codes:
            lines.append(f"  {code.signal}: {code.meaning}")
            lines.extend(_indent("  → " + code.remedy))
        lines.append("")
    notes = docs.get("providers") or {}
    if notes:
        lines.append("Provider notes:")
        for provider, note in notes.items():
            lines.extend(_indent(f"{PROVIDER_NAMES.get(provider, provider)}: {note}"))
        lines.append("")
    if docs.get("known_problems"):
        lines.append("Known problems:")
        lines.extend(_indent(str(docs["known_problems"])))
        lines.append("")
    if docs.get("references"):
        lines.append("References:")
        lines.extend(f"  {ref}" for ref in docs["references"])
        lines.append("")
    if pattern.examples:
        lines.append("Examples:")
        for example in pattern.examples:
            note = f"  ({example.note})" if example.note else ""
            lines.append(f"  {example.expect}{note}")
            lines.append(f"    {textwrap.shorten(example.line, 220, placeholder=' …')}")
        lines.append("")
    lines.append(f"Defined in {pattern.path}")
    # a user catalog (--patterns DIR) is text from anywhere: no escape of it reaches the
    # terminal, and a CR cannot overwrite the line it is on
    return "\n".join(visible(line) for line in lines) + "\n"


def _where(pattern: Pattern, tables: RuleTables) -> list[str]:
    """Where the pattern applies: its contexts and the lowest level it looks at."""
    titles = [f"{tables.context_title(c)} ({c})" for c in pattern.contexts]
    lines = [f"Applies to: {', '.join(titles)}"] if titles else []
    level = _LEVEL_NAMES.get(pattern.min_level, str(pattern.min_level))
    lines.append(f"Records at {level} and above (debug and trace only where a pattern opts in).")
    return [*lines, ""]


def _indent(text: str) -> list[str]:
    out = []
    for paragraph in text.strip().split("\n"):
        out.append("  " + paragraph if paragraph.strip() else "")
    return out
