#!/usr/bin/env python3
"""Edits a careless maintainer could make, each of which must turn the suite red.

Each mutant copies the tree (eelogs/, patterns/, tests/, bench/, pyproject.toml) to a
scratch folder, applies one text edit there, and runs only the tests it names. A mutant
that leaves them green means a rule can change a report without any test noticing: the
script says which and exits 1. CI runs it after the suite (.ci/run).

    python tests/mutants.py            # every mutant
    python tests/mutants.py --list     # what each one edits
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("eelogs", "patterns", "tests", "bench", "reports", "sample_logs", "pyproject.toml")


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


# Three of the four edits issue 19 found leaving the suite green, as they look in the
# rules-as-data design: a clue field, a state condition, the order of transitions. The
# fourth (a field the fast path routes) has no counterpart yet: dropping `"err"` from the
# routing needles or servername from the derived clue fields changes no report today, since
# other routes (nested keys, signal needles, small blocks) send those lines per-line too.
# The one engine (issue 19) removes the fast path; its extracted fields get a mutant then.
MUTANTS = (
    Mutant(
        "drop a clue field: servername no longer names the provider",
        "patterns/_rules/providers.toml",
        'paths = ["host", "servername", "err.host"]',
        'paths = ["host", "err.host"]',
        ("tests/test_account_rules.py",),
    ),
    Mutant(
        "drop a state condition: any reason of a skipped setup means paused",
        "patterns/_rules/states.toml",
        '"msg" = ["Skipped connection setup", "Skipped start", "Skipped establishing connection"]\n'
        '"reason" = "paused"',
        '"msg" = ["Skipped connection setup", "Skipped start", "Skipped establishing connection"]',
        ("tests/test_account_rules.py",),
    ),
    Mutant(
        "mis-order a transition: an unexpected close is tried before IMAP being disabled",
        "patterns/_rules/states.toml",
        '[[transition]]\nto = "unset"\n[[transition.match]]\n"msg" = "Connection closed"',
        '[[transition]]\nto = "disconnected"\nfrom = ["connecting", "syncing", "connected", '
        '"unknown"]\n[[transition.match]]\n"msg" = "Connection closed"\n"type" = "imapClient"'
        '\n\n[[transition]]\nto = "unset"\n[[transition.match]]\n"msg" = "Connection closed"',
        ("tests/test_account_rules.py",),
    ),
)


def survives(mutant: Mutant) -> bool:
    """Apply the mutant to a copy of the tree; True when its tests still pass."""
    with tempfile.TemporaryDirectory(prefix="eelogs-mutant-") as scratch:
        tree = Path(scratch)
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("corpus"))
            elif source.exists():
                shutil.copy2(source, tree / name)
        target = tree / mutant.path
        text = target.read_text(encoding="utf-8")
        if text.count(mutant.old) != 1:
            raise SystemExit(f"mutant {mutant.name!r}: its text is not in {mutant.path} once")
        target.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
             *mutant.tests],
            cwd=tree, env=env, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        return done.returncode == 0


def main() -> int:
    if "--list" in sys.argv:
        for mutant in MUTANTS:
            print(f"{mutant.name}\n  {mutant.path} → {', '.join(mutant.tests)}")
        return 0
    alive = []
    for mutant in MUTANTS:
        result = "SURVIVED" if survives(mutant) else "killed"
        print(f"{result:8}  {mutant.name}", flush=True)
        if result == "SURVIVED":
            alive.append(mutant)
    if alive:
        print(f"{len(alive)} of {len(MUTANTS)} mutants left their tests green", file=sys.stderr)
        return 1
    print(f"all {len(MUTANTS)} mutants turned their tests red")
    return 0


if __name__ == "__main__":
    sys.exit(main())
