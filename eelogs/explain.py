"""`eelogs patterns show ID`: a pattern's remedy, written for the operator at a terminal."""

from __future__ import annotations

import textwrap

from eelogs.catalog import Pattern
from eelogs.providers import PROVIDER_NAMES


def explain(pattern: Pattern) -> str:
    docs = pattern.docs
    lines = [
        f"{pattern.id} — {pattern.title}",
        f"severity {pattern.severity} · category {pattern.category} · providers "
        f"{', '.join(pattern.providers)} · scope {pattern.scope}"
        + (f" · detector {pattern.detector}" if pattern.detector else ""),
        "",
        f"Action: {pattern.action}",
        "",
    ]
    for title, key in (("What", "what"), ("Why it matters", "why"), ("Fix", "fix")):
        lines.append(f"{title}:")
        lines.extend(_indent(str(docs[key]).replace("{account}", "<account>")))
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
    return "\n".join(lines) + "\n"


def _indent(text: str) -> list[str]:
    out = []
    for paragraph in text.strip().splitlines():
        out.append("  " + paragraph if paragraph.strip() else "")
    return out
