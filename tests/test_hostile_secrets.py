"""Issue 20, leaks: no planted secret reaches any output, in any field, position or encoding.

The secret forms come from tests/fixtures/secrets.toml, a list kept apart from the redactor,
so the suite cannot plant only what the redactor knows. The properties run a few seconds by
default; `HYPOTHESIS_PROFILE=long pytest tests/test_hostile_secrets.py` runs them for long.
"""

from __future__ import annotations

import copy
import html
import json
import os
import string
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import FIXTURES, run
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from eelogs.catalog import load_catalog
from eelogs.commands import check_input
from eelogs.pipeline import Analysis, Window, analyze, classify_stream
from eelogs.redact import Pseudonyms, keep_text, redact_text, scrub
from eelogs.render import Format, render
from eelogs.sources import expand_inputs

FORMS: list[dict[str, Any]] = tomllib.loads((FIXTURES / "secrets.toml").read_text())["secret"]
TEXT_FORMS = [f for f in FORMS if "text" in f]
KEY_FORMS = [f for f in FORMS if "key" in f or "raw_key" in f]
CATALOG = load_catalog()
LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
PROPERTY = settings(
    max_examples=3000 if LONG else 12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The lengths eelogs cuts kept text to: classify's msg and unparsed lines, last errors,
# templates' message, unknown-warning samples, finding samples.
CUTS = (200, 300, 500, 1000, 2000, 4000)
FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
# EmailEngine's generated account ids: random letters and digits (mixed case), plus the
# shapes the sample logs hold. 'e1YHLZM9hQ8TpQBB' decodes as base64 to bytes with a NUL: the
# old redactor took it for an AUTH PLAIN blob and merged its account into `[REDACTED]`.
ACCOUNT_IDS = st.one_of(
    st.text(string.ascii_letters + string.digits, min_size=16, max_size=16),
    st.sampled_from(["e1YHLZM9hQ8TpQBB", "hodzdoc9-is0j-8ht9", "sales-o365", "user0000"]),
    st.emails().filter(lambda a: a.isascii() and len(a) < 60),
)
BASE = {"pid": 7, "hostname": "ee-prod-01", "tid": 5, "component": "connection-client"}
# a record the catalog knows (oauth-invalid-grant), so its raw line becomes a finding sample
KNOWN = {
    "level": 40,
    "msg": "Failed to renew OAuth2 access token",
    "err": {
        "type": "Error",
        "message": "Token request failed for outlook (refresh_token, HTTP 400): invalid_grant - "
        "AADSTS50173: The provided grant has expired due to it being revoked.",
        "code": "ETokenRefresh",
        "statusCode": 400,
        "tokenRequest": {
            "grant": "refresh_token",
            "provider": "outlook",
            "status": 400,
            "response": {"error": "invalid_grant"},
        },
    },
}


def _filler(length: int) -> str:
    """`length` characters of words ending in a space: a secret after it starts a word."""
    if length <= 0:
        return ""
    text = (FILLER * (length // len(FILLER) + 1))[: length - 1]
    return text + " "


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _nest(path: str, value: Any) -> dict[str, Any]:
    """`a.b[].c` with `value` → {"a": {"b": [{"c": value}]}}."""
    node: Any = value
    for part in reversed(path.split(".")):
        node = {part[:-2]: [node]} if part.endswith("[]") else {part: node}
    assert isinstance(node, dict)
    return node


def _recase(path: str, flips: list[bool]) -> str:
    """The last key of `path` in another letter case, one flip per letter."""
    head, _, last = path.rpartition(".")
    last = "".join(
        (c.upper() if flip else c.lower()) if c.isalpha() else c
        for c, flip in zip(last, flips + [False] * len(last), strict=False)
    )
    return f"{head}.{last}" if head else last


def _plant_text(text: str, where: str) -> dict[str, Any]:
    if where == "msg":
        return {"msg": text}
    if where == "err.message":
        return {"err": {"type": "Error", "message": text}}
    if where == "err.response":
        return {"err": {"type": "Error", "message": "Command failed", "response": text}}
    if where == "nested":
        return {"meta": {"deep": {"list": [{"note": text}]}}}
    if where == "array":
        return {"items": ["first", text, "last"]}
    return {"payload": json.dumps({"note": text})}  # JSON inside a string


def _plant_key(form: dict[str, Any], where: str, flips: list[bool]) -> tuple[dict[str, Any], str]:
    """The planted fields, and the raw key text to put back in the line (escaped keys)."""
    if form.get("socket"):
        return {"msg": "read from socket", "src": "s", "data": form["secret"]}, ""
    raw_key = form.get("raw_key")
    key = "__RAW_KEY__" if raw_key else _recase(form["key"], flips)
    planted = _nest(key, form["secret"])
    if where == "err":
        planted = {"err": {"type": "Error", "message": "Request failed", **planted}}
    elif where == "nested":
        planted = {"context_info": {"request": planted}}
    elif where == "array":
        planted = {"attempts": [{"n": 1}, planted]}
    elif where == "json-in-string":
        text = json.dumps(planted)
        if raw_key:
            text = text.replace("__RAW_KEY__", raw_key)
        return {"payload": text}, ""
    return planted, raw_key or ""


def _line(record: dict[str, Any], raw_key: str) -> str:
    line = json.dumps(record)
    return line.replace('"__RAW_KEY__"', f'"{raw_key}"') if raw_key else line


def planted_log(
    form: dict[str, Any], where: str, account: str, cut: int, shift: int, flips: list[bool]
) -> list[str]:
    """Log lines carrying one secret form: in an unknown warning (its template, sample and
    the account's last error), in a record the catalog knows (a finding's sample and last
    error) and, for text, in an unparsed line. The first of them is padded so that the secret
    starts `shift` characters before `cut`."""
    carriers = []
    for n, carrier in enumerate(({"level": 50, "msg": "Unexpected state"}, KNOWN)):
        head = {**BASE, "time": 1795420800000 + n, "account": account, **carrier}
        if "text" in form:
            fields, raw_key = _plant_text(form["text"], where), ""
        else:
            fields, raw_key = _plant_key(form, where, flips)
        merged = copy.deepcopy(head)
        merged.update(fields)
        if "err" in fields and "err" in head:
            merged["err"] = {**head["err"], **fields["err"]}
        carriers.append((merged, raw_key))
    first, raw_key = carriers[0]
    line = _line(first, raw_key)
    at = line.find(form["secret"])
    if at < 0:  # escaped in the line (JSON inside a string): pad by the field instead
        at = line.find(json.dumps(form["secret"])[1:-1])
    pad = cut - shift - at
    if pad > 0:
        carriers[0] = ({"pad": _filler(pad - len('"pad": "", ')), **first}, raw_key)
    # the unknown warning last: it is the account's last error
    lines = [_line(record, key) for record, key in reversed(carriers)]
    if form.get("message"):  # a protocol line logged on a line of its own
        lines.append(form["text"])
    elif "text" in form:
        lines.append("plain: " + _filler(max(0, cut - shift - 7)) + _one_line(form["text"]))
        cut_at = lines[0].find(form["secret"])
        if cut_at > 0:  # the same record, truncated after the secret
            lines.append(lines[0][: cut_at + len(form["secret"]) + 3])
    return lines


def all_outputs(
    lines: list[str], formats: tuple[Format, ...] = tuple(Format)
) -> tuple[dict[str, str], str]:
    """Every output of eelogs for these lines, in-process: analyze in the four formats, its
    JSON with --pseudonymize, and classify. The same functions the CLI calls, in its order:
    analyze, check the input, scrub, render. And the JSON report with --no-redact. (Every
    format renders the same scrubbed report: JSON alone holds every string the others show.)"""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "planted.log"
        log.write_text("".join(line + "\n" for line in lines))
        inputs = expand_inputs([str(log)])
        report = analyze(inputs, Analysis(CATALOG))
        unredacted = analyze(inputs, Analysis(CATALOG, redact=False))
        report["input"]["skipped_files"] = 0
        report["input"]["warnings"] = check_input(report, inputs, [], False)
        outputs = {}
        for label, pseudonyms in (
            ("", None),
            ("pseudonymized ", Pseudonyms(a["account"] for a in report["accounts"])),
        ):
            scrubbed = scrub(copy.deepcopy(report), True, pseudonyms)
            scrubbed["eelogs"].update(redacted=True, pseudonymized=pseudonyms is not None)
            for fmt in formats if not pseudonyms else (Format.JSON,):
                outputs[label + fmt.value] = render(scrubbed, CATALOG, fmt)
        rows = classify_stream(inputs, CATALOG, Window())
        outputs["classify"] = "\n".join(orjson.dumps(scrub(r, True, None)).decode() for r in rows)
    return outputs, render(unredacted, CATALOG, Format.JSON)


def reaches(secret: str, unredacted: str) -> bool:
    """The planted secret is in the unredacted report: only redaction keeps it out."""
    return secret in unredacted or json.dumps(secret)[1:-1] in unredacted


def assert_no_secret(outputs: dict[str, str], secret: str) -> None:
    """Neither the secret nor its first or last 10 characters (what a cut or a rule that
    stops too early leaves) appear, as written or HTML-escaped."""
    parts = {secret, secret[:10], secret[-10:]} if len(secret) >= 10 else {secret}
    for name, text in outputs.items():
        for shown in (text, html.unescape(text)):
            for part in parts:
                assert part not in shown, f"{part!r} of {secret!r} leaked into {name}"


TEXT_PLACES = ["msg", "err.message", "err.response", "nested", "array", "json-in-string"]
KEY_PLACES = ["top", "err", "nested", "array", "json-in-string"]


@st.composite
def plantings(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    form = draw(st.sampled_from(FORMS))
    if form.get("message"):
        where = "msg"  # a protocol line is a secret where a message stands, and only there
    elif "text" in form:
        where = draw(st.sampled_from(TEXT_PLACES))
    else:
        where = draw(st.sampled_from(KEY_PLACES))
    cut = draw(st.sampled_from(CUTS))
    shift = draw(st.integers(0, len(form["secret"])))
    flips = draw(st.lists(st.booleans(), min_size=30, max_size=30))
    account = draw(ACCOUNT_IDS)
    if form.get("message"):
        cut = shift = 0  # a message on its own: no filler before it
    return form, planted_log(form, where, account, cut, shift, flips)


@PROPERTY
@given(plantings())
def test_a_planted_secret_reaches_no_output(planting: tuple[dict[str, Any], list[str]]) -> None:
    form, lines = planting
    outputs, unredacted = all_outputs(lines)
    assert_no_secret(outputs, form["secret"])
    assert reaches(form["secret"], unredacted)


@pytest.mark.parametrize("form", FORMS, ids=[f["name"] for f in FORMS])
def test_every_form_in_every_place_reaches_no_output(form: dict[str, Any]) -> None:
    # the property samples; this visits each form once in each of its places
    places = ["msg"] if form.get("message") else TEXT_PLACES if "text" in form else KEY_PLACES
    lines: list[str] = []
    for n, where in enumerate(places):
        lines += planted_log(form, where, f"acct-{n}", CUTS[n % len(CUTS)], 3, [n % 2 == 0] * 30)
    outputs, unredacted = all_outputs(lines, (Format.JSON,))
    assert_no_secret(outputs, form["secret"])
    assert reaches(form["secret"], unredacted)


def _every_form_log(path: Path) -> Path:
    lines: list[str] = []
    for n, form in enumerate(FORMS):
        where = "msg" if form.get("message") or "text" in form else "nested"
        lines += planted_log(form, where, f"acct{n:02d}", 0, 0, [True, False] * 15)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_every_form_reaches_no_output_of_the_real_cli(tmp_path: Path) -> None:
    log = _every_form_log(tmp_path / "planted.log")
    outputs = {
        fmt: run(["analyze", str(log), "--format", fmt]).stdout
        for fmt in ("text", "md", "html", "json")
    }
    outputs["pseudonymized"] = run(["analyze", str(log), "--pseudonymize", "--format", "md"]).stdout
    outputs["ticket"] = run(["analyze", str(log), "--account", "acct00", "--format", "md"]).stdout
    outputs["classify"] = run(["classify", str(log)]).stdout
    unredacted = run(["analyze", str(log), "--format", "json", "--no-redact"]).stdout
    for form in FORMS:
        if "text" in form:  # each account's last error shows its text: it reaches the report
            assert reaches(form["secret"], unredacted), form["name"]
        assert_no_secret(outputs, form["secret"])


# --- one regression test per cause of a leak -------------------------------------------------


def _report_of(*records: dict[str, Any], extra: tuple[str, ...] = ()) -> dict[str, str]:
    lines = [json.dumps({**BASE, "time": 1795420800000 + n, **r}) for n, r in enumerate(records)]
    return all_outputs([*lines, *extra])[0]


def test_templates_are_made_after_redaction() -> None:
    # the template mask turned `1//0g…` into `<n>//0g…` before the rules could see it
    secret = "0gTEMPLATErefresh-abcdefghijklmnop"
    outputs = _report_of({"level": 50, "account": "a1", "msg": f"Refresh with 1//{secret} failed"})
    assert "<n>//[REDACTED]" in outputs["json"]  # the template is still made, of the mask
    assert_no_secret(outputs, secret)


def _padded(record: dict[str, Any], secret: str, cut: int) -> dict[str, Any]:
    """`record` with a `pad` field before its other fields that puts `secret` 12 characters
    before `cut` in the record's line."""
    line = json.dumps({**BASE, "time": 1795420800000, "pad": "", **record})
    return {"pad": _filler(cut - 12 - line.index(secret)), **record}


@pytest.mark.parametrize("cut", [200, 500, 1000, 2000, 4000])
def test_text_is_redacted_before_it_is_cut(cut: int) -> None:
    # text cut first left a secret's start with no end for its rule to find: the closing
    # quote of `"password": "…"`, all 64 digits of an EmailEngine token
    password, token = "CUTacrossSecretValue0123456789", "5ec2e7d0c0ffee00" * 4
    straddling = _filler(cut - 12) + token  # classify's msg and unparsed lines 200, last error 500
    # a template keeps 300 characters of the masked message: quoted strings shrink to "<str>"
    quoted = ('"' + "q" * 197 + '" ') * ((cut - 12) // 200)
    templated = quoted + _filler(cut - 12 - len(quoted)) + f'password: "{password}"'
    outputs = _report_of(
        _padded({"level": 50, "account": "a1", "msg": "Odd", "password": password}, password, cut),
        _padded({**KNOWN, "account": "a2", "password": password}, password, cut),
        {"level": 50, "account": "a3", "msg": straddling},
        {"level": 50, "account": "a4", "msg": "y", "err": {"response": straddling}},
        {"level": 50, "account": "a5", "msg": templated},
        extra=(straddling,),
    )
    assert_no_secret(outputs, password)
    assert_no_secret(outputs, token)


@pytest.mark.parametrize(
    "key", ["Password", "PASSWORD", "Cookie", "Refresh_Token", "client_Secret", "X-Api-Key",
            "smtpPassword", "pwd", "passwd"],
)  # fmt: skip
def test_key_names_are_matched_in_any_case_and_spelling(key: str) -> None:
    secret = "CASEvariantSecret0123"
    outputs = _report_of({"level": 50, "account": "a1", "msg": "Unexpected state", key: secret})
    assert_no_secret(outputs, secret)


def test_json_inside_a_string_and_escaped_key_names_are_read() -> None:
    inner, escaped = "JSONinStringSecret01", "ESCAPEDkeySecret02"
    line = json.dumps(
        {**BASE, "time": 1795420800000, "level": 50, "account": "a1", "msg": "Unexpected state",
         "payload": json.dumps({"password": inner}), "__KEY__": escaped}
    ).replace('"__KEY__"', '"pass\\u0077ord"')  # fmt: skip
    outputs, _ = all_outputs([line, line.replace("a1", "a2")[:-20]])  # whole, and cut short
    assert_no_secret(outputs, inner)
    assert_no_secret(outputs, escaped)


@pytest.mark.parametrize("form", TEXT_FORMS, ids=[f["name"] for f in TEXT_FORMS])
def test_text_forms_have_a_rule(form: dict[str, Any]) -> None:
    redacted = keep_text(form["text"], 10_000, message=bool(form.get("message")))
    assert form["secret"] not in redacted
    if not form.get("message"):  # the same text inside a longer one, and as raw JSON text
        assert form["secret"] not in redact_text(f"before {form['text']} after")
        assert form["secret"] not in redact_text(json.dumps({"msg": form["text"]})[:-2])


def test_pseudonymize_covers_encoded_addresses_and_address_literals() -> None:
    outputs = _report_of(
        {"level": 50, "account": "sales@example.com", "msg": "Unexpected state",
         "url": "/v1/account/sales%40example.com/message", "peer": "ops@[192.0.2.7]",
         "other": "GET /v1/account/jane.doe%40example.org/search"},
    )  # fmt: skip
    shown = outputs["pseudonymized json"]
    for clear in ("sales%40example.com", "sales@example.com", "ops@[192.0.2.7]", "jane.doe"):
        assert clear not in shown, clear
    account = json.loads(shown)["accounts"][0]["account"]
    assert account.startswith("account-") and f"{account}/message" in shown  # one stand-in
    assert "@[192.0.2.7]" in shown  # the domain stays, the person goes


@PROPERTY
@example(["e1YHLZM9hQ8TpQBB", "Q1B1Yrf1sT1o9RkA", "ftZfI30a4oYGd3lA"])
@given(st.lists(ACCOUNT_IDS, min_size=1, max_size=4, unique=True))
def test_account_ids_are_never_redacted(accounts: list[str]) -> None:
    records = [
        {"level": 50, "account": a, "msg": "Unexpected state", "err": {"message": f"for {a}"}}
        for a in accounts
    ]
    outputs = _report_of(*records)
    report = json.loads(outputs["json"])
    assert sorted(a["account"] for a in report["accounts"]) == sorted(accounts)
    assert {r["account"] for r in map(json.loads, outputs["classify"].splitlines())} == set(
        accounts
    )
    for template in report["unmatched"]:
        assert set(template["accounts"]) <= set(accounts)
