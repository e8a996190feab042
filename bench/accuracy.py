#!/usr/bin/env python3
"""How often eelogs names the right problem: scores `eelogs classify` on a set of known answers.

    python bench/accuracy.py                      # tests/accuracy/lines.jsonl, table and totals
    python bench/accuracy.py --json               # the same figures as one JSON object
    python bench/accuracy.py --set other.jsonl    # score another set of the same form
    python bench/accuracy.py --misses             # also list every line eelogs got wrong

The set holds one JSON object per line: `id`, `line` (one pino record as EmailEngine writes it),
`expect` (the pattern id a correct classifier gives, or null for a healthy line), `context`,
`source` and `why`. The lines are written, in order, to a temporary file and classified by one
`eelogs classify` run; its row for input line N is the answer for the set's Nth entry.

Every answer falls in one of three buckets:
  right            the pattern equals `expect` (null for null);
  wrong-but-honest the answer is wrong but offers no fix: null, or a `<context>-failed` id
                   ("that failed, cause not recognised");
  confident wrong  a pattern id that is neither the expected one nor a `<context>-failed` id:
                   a wrong fix, including any pattern given for a healthy line.
Accuracy is right / total. The figures are measured, never asserted: the catalog is changing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_SET = HERE.parent / "tests" / "accuracy" / "lines.jsonl"

# The operation contexts of /work/wt/RULES-V2.md ("Contexts"). A `<context>-failed` id means
# "this failed, cause not recognised": an honest answer without a fix. api, admin, redis and
# worker have no such id in RULES-V2, so only the twelve contexts below make one.
FAILED_CONTEXTS = (
    "imap-connect", "imap-auth", "imap-session", "smtp-connect", "smtp-auth", "smtp-send",
    "sent-upload", "oauth-refresh", "gmail-api", "ms-graph", "pubsub", "webhook",
)  # fmt: skip
FAILED_IDS = frozenset(f"{context}-failed" for context in FAILED_CONTEXTS)

RIGHT, HONEST, CONFIDENT = "right", "wrong-but-honest", "confident-wrong"
BUCKETS = (RIGHT, HONEST, CONFIDENT)


def load_set(path: Path) -> list[dict[str, Any]]:
    entries = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text.strip():
            entry = json.loads(text)
            if "line" not in entry or "expect" not in entry:
                raise SystemExit(f"{path}:{number}: an entry needs 'line' and 'expect'")
            entries.append(entry)
    return entries


def eelogs_command() -> list[str]:
    """The eelogs of this interpreter (the active venv), as tests/conftest.py finds it."""
    return [sys.executable, "-m", "eelogs"]


def classify(lines: list[str]) -> dict[int, str | None]:
    """Run `eelogs classify` once over the lines, in order; pattern per 1-based line number."""
    with tempfile.TemporaryDirectory(prefix="eelogs-accuracy-") as tmp:
        log = Path(tmp) / "accuracy.log"
        log.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        done = subprocess.run(
            [*eelogs_command(), "classify", str(log)],
            capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"eelogs classify failed (exit {done.returncode}):\n{done.stderr}")
    answers: dict[int, str | None] = {}
    for row_text in done.stdout.splitlines():
        if row_text.strip():
            row = json.loads(row_text)
            answers.setdefault(int(row["line"]), row.get("pattern"))
    return answers


def catalog_ids() -> set[str]:
    done = subprocess.run(
        [*eelogs_command(), "patterns", "list", "--format", "json"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return {pattern["id"] for pattern in json.loads(done.stdout)}


def bucket(expect: str | None, got: str | None) -> str:
    if got == expect:
        return RIGHT
    if got is None or got in FAILED_IDS:
        return HONEST
    return CONFIDENT


def kind(expect: str | None, known: set[str]) -> str:
    """Which sort of answer the entry asks for; known = the ids of today's catalog."""
    if expect is None:
        return "healthy (expect null)"
    if expect in FAILED_IDS:
        return "cause not recognised (<context>-failed)"
    if expect in known:
        return "cause in today's catalog"
    return "cause new in catalog v2"


def score(entries: list[dict[str, Any]], answers: dict[int, str | None]) -> list[dict[str, Any]]:
    results = []
    for number, entry in enumerate(entries, 1):
        got = answers.get(number)
        results.append(
            {
                "id": entry.get("id", f"#{number}"),
                "expect": entry["expect"],
                "got": got,
                "context": entry.get("context"),
                "bucket": bucket(entry["expect"], got),
                "missing": number not in answers,
            }
        )
    return results


def tally(results: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    instead: dict[str, Counter[str]] = defaultdict(Counter)
    for result in results:
        name = str(result[key])
        groups[name][result["bucket"]] += 1
        if result["bucket"] != RIGHT:
            instead[name][str(result["got"])] += 1
    table = {}
    for name, counts in groups.items():
        total = sum(counts.values())
        table[name] = {
            "total": total,
            **{b: counts[b] for b in BUCKETS},
            "accuracy": round(counts[RIGHT] / total, 4),
            "got_instead": dict(instead[name].most_common()),
        }
    return table


def summary(results: list[dict[str, Any]], known: set[str]) -> dict[str, Any]:
    counts = Counter(result["bucket"] for result in results)
    total = len(results)
    for result in results:
        result["kind"] = kind(result["expect"], known)
    return {
        "total": total,
        **{b: counts[b] for b in BUCKETS},
        "accuracy": round(counts[RIGHT] / total, 4) if total else 0.0,
        "missing_rows": sum(1 for result in results if result["missing"]),
        "by_kind": tally(results, "kind"),
        "by_expect": tally(results, "expect"),
        "results": results,
    }


def print_table(title: str, table: dict[str, dict[str, Any]]) -> None:
    width = max(len(title), *(len(name) for name in table))
    print(f"{title:<{width}}  {'n':>4}  {'right':>5}  {'honest':>6}  {'conf.':>5}  got instead")
    for name in sorted(table, key=lambda n: (-table[n]["total"] + table[n][RIGHT], n)):
        row = table[name]
        instead = ", ".join(f"{got} x{n}" for got, n in row["got_instead"].items())
        print(
            f"{name:<{width}}  {row['total']:>4}  {row[RIGHT]:>5}  {row[HONEST]:>6}  "
            f"{row[CONFIDENT]:>5}  {instead}"
        )
    print()


def print_report(report: dict[str, Any], set_path: Path, misses: bool) -> None:
    print(f"accuracy set: {set_path} ({report['total']} lines)\n")
    print_table("expected id", report["by_expect"])
    print_table("kind", report["by_kind"])
    if misses:
        for result in report["results"]:
            if result["bucket"] != RIGHT:
                print(f"{result['id']}  {result['bucket']:<16}  expect {result['expect']}  "
                      f"got {result['got']}")  # fmt: skip
        print()
    total = report["total"]
    print(f"right:              {report[RIGHT]:>4} / {total}")
    print(f"wrong-but-honest:   {report[HONEST]:>4}")
    print(f"confident wrong:    {report[CONFIDENT]:>4}")
    if report["missing_rows"]:
        print(f"(no classify row:   {report['missing_rows']:>4}, scored as null)")
    print(f"accuracy:           {report['accuracy']:.1%}  ({report[RIGHT]}/{total})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="the set to score")
    parser.add_argument("--json", action="store_true", help="machine output (one JSON object)")
    parser.add_argument("--misses", action="store_true", help="list every wrong answer")
    args = parser.parse_args(argv)
    entries = load_set(args.set)
    if not entries:
        raise SystemExit(f"{args.set}: no entries")
    answers = classify([entry["line"] for entry in entries])
    report = summary(score(entries, answers), catalog_ids())
    if args.json:
        header = {"set": str(args.set), "failed_ids": sorted(FAILED_IDS)}
        json.dump({**header, **report}, sys.stdout, indent=2)
        print()
    else:
        print_report(report, args.set, args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
