"""Rules are evaluated once per signature (signature.py) and the answer remembered. The
memo must never change an answer: a classifier and provider rules that have seen thousands
of records answer each record exactly as fresh ones with no memo do. Records come from the
sample log and the accuracy set, with values changed that some rule reads and that none
reads, in any order."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eelogs.accountrules import account_rules
from eelogs.catalog import load_catalog
from eelogs.framing import Payload
from eelogs.match import Classifier, Match
from eelogs.parse import Record, parse_payload
from eelogs.providers import ProviderRules

ROOT = Path(__file__).resolve().parent.parent
CATALOG = load_catalog()
SAMPLE = [
    line
    for line in (ROOT / "sample_logs" / "emailengine.log").read_text().splitlines()
    if line.startswith("{")
]
ACCURACY = [
    json.loads(row)["line"]
    for row in (ROOT / "tests" / "accuracy" / "lines.jsonl").read_text().splitlines()
    if row.strip()
]
LINES = SAMPLE[::7] + ACCURACY
# values a rule may or may not read, put in fields rules read and fields they do not
VALUES = st.sampled_from(
    ["imap.gmail.com", "outlook.office365.com", "user@icloud.com", "paused", "pause",
     "imapClient", "s", "c", "imap-connection", "ECONNREFUSED", "AADSTS50011", "", None, 0,
     True, 535, "Invalid credentials (Failure)", "https://graph.microsoft.com/v1.0/me"]
)  # fmt: skip
KEYS = st.sampled_from(
    ["cid", "pid", "time", "account", "host", "servername", "reason", "action", "type",
     "src", "sub", "disabled", "code", "url", "user", "lockId", "statusCode", "response"]
)  # fmt: skip

SHARED = Classifier(CATALOG)
SHARED_PROVIDERS = ProviderRules(account_rules())


def _record(line: str) -> Record | None:
    found = parse_payload(Payload(line, None, "sig", 1, "json"))
    return found if isinstance(found, Record) else None


def _changed(line: str, edits: list[tuple[str, Any]], err_edits: list[tuple[str, Any]]) -> str:
    obj = orjson.loads(line)
    for key, value in edits:
        obj[key] = value
    if isinstance(obj.get("err"), dict):
        for key, value in err_edits:
            obj["err"][key] = value
    return orjson.dumps(obj).decode()


def _answer(found: Match | None) -> tuple[str | None, dict[str, Any]]:
    return (found.pattern.id, found.fields) if found else (None, {})


@settings(
    max_examples=int(os.environ.get("SIGNATURE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    picks=st.lists(
        st.tuples(
            st.sampled_from(LINES),
            st.lists(st.tuples(KEYS, VALUES), max_size=3),
            st.lists(st.tuples(KEYS, VALUES), max_size=2),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_remembered_answers_are_the_fresh_answers(
    picks: list[tuple[str, list[tuple[str, Any]], list[tuple[str, Any]]]],
) -> None:
    fresh = Classifier(CATALOG, memo=False)
    for line, edits, err_edits in picks:
        for text in (line, _changed(line, edits, err_edits)):
            record = _record(text)
            if record is None:
                continue
            found, context = SHARED.classify_with_context(record)
            want, want_context = fresh.classify_with_context(record)
            assert (_answer(found), context) == (_answer(want), want_context), text
            unremembered = ProviderRules(account_rules())
            assert SHARED_PROVIDERS.signals(record) == unremembered.signals(record), text
            assert SHARED_PROVIDERS.auth_method(record) == unremembered.auth_method(record)


def test_a_burst_of_one_failure_is_one_signature() -> None:
    """Lines that differ only in values no rule reads (time, client id, process, thread)
    share a signature; a value a rule reads (the server's response) splits them."""
    line = next(x for x in ACCURACY if "AUTHENTICATIONFAILED" in x)
    classifier = Classifier(CATALOG)
    for n in range(50):
        record = _record(_changed(line, [("time", 1795420800000 + n), ("cid", f"c{n}"),
                                         ("pid", n), ("tid", n % 4)], []))  # fmt: skip
        assert record is not None
        classifier.classify(record)
    assert len(classifier.remembered()) == 1
    other = _record(_changed(line, [], [("response", "3 NO [ALERT] Please log in via web")]))
    assert other is not None
    classifier.classify(other)
    assert len(classifier.remembered()) == 2
