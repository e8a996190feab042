"""Issue 20: the report's accounts as a table whose rows are made when read, the JSON report
written piece by piece, pseudonyms applied row by row. Each is checked against what the
report did before: a list of row dicts, dumped whole by orjson, scrubbed as one structure."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import REPO

from eelogs import htmlview, jsonstream, views
from eelogs.accountrows import failing_rows, healthy_counts
from eelogs.accounttable import AccountTable
from eelogs.baseline import apply_baseline
from eelogs.catalog import load_catalog
from eelogs.jsonstream import json_pieces, plain
from eelogs.pipeline import Analysis, analyze
from eelogs.redact import Pseudonyms, scrub
from eelogs.render import Format, render
from eelogs.safetext import json_safe
from eelogs.sources import expand_inputs
from eelogs.writer import write_output

CATALOG = load_catalog()
SAMPLE = REPO / "sample_logs" / "emailengine.log"
HOSTS = ("imap.gmail.com", "outlook.office365.com", "imap.mail.yahoo.com", "imap.mail.me.com")
PASSWORD = "hunter2-Xk9#pQ"


def _log(path: Path, accounts: int, failing_every: int) -> Path:
    """Healthy accounts on four providers; every `failing_every`-th one rejects its password
    (and logs it); one name holds a bidi control and one a quote, for json_safe."""
    lines = []
    for n in range(accounts):
        name = f"user{n:05d}" + ("\u202e" if n == 7 else '"q' if n == 8 else "")
        base = {"time": 1795420800000 + n, "pid": 7, "hostname": "ee", "account": name}
        if n % failing_every == 0:
            base["component"] = "connection-client"
            err = {"message": "Command failed", "authenticationFailed": True}
            err["response"] = f"3 NO [AUTHENTICATIONFAILED] Invalid credentials pass={PASSWORD}"
            err["serverResponseCode"] = "AUTHENTICATIONFAILED"
            lines.append({"level": 50, **base, "msg": "Command failed", "err": err})
        else:
            msg = "Established secure TCP connection"
            lines.append({"level": 30, **base, "msg": msg, "host": HOSTS[n % 4]})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _report(*paths: Path) -> dict[str, Any]:
    report = analyze(expand_inputs([str(p) for p in paths]), Analysis(CATALOG))
    report["eelogs"]["generated"] = "2026-11-24T00:00:00Z"
    return report


def _whole_json(report: dict[str, Any]) -> str:
    """The JSON report as it was written before: orjson over a list of row dicts."""
    text = orjson.dumps(plain(report), option=orjson.OPT_INDENT_2).decode()
    return json_safe(text) + "\n"


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _report(_log(tmp_path_factory.mktemp("many") / "many.log", 700, failing_every=25))


def test_the_report_holds_a_table_not_a_list(many: dict[str, Any]) -> None:
    accounts = many["accounts"]
    assert isinstance(accounts, AccountTable)
    assert len(accounts) == 700 == many["summary"]["accounts"]
    assert many["summary"]["failing_accounts"] == 28
    names = [row["account"] for row in accounts]
    assert names == sorted(names) and accounts.names() == names


def test_rows_by_index_slice_and_iteration_agree(many: dict[str, Any]) -> None:
    accounts = many["accounts"]
    rows = list(accounts)
    assert accounts[0] == rows[0] and accounts[-1] == rows[-1] and accounts[350] == rows[350]
    assert accounts[10:13] == rows[10:13]
    assert accounts == rows and accounts != rows[:-1]
    with pytest.raises(IndexError):
        accounts[700]
    assert list(rows[0]) == [
        "account", "provider", "state", "state_since", "auth", "patterns", "open_patterns",
        "last_error", "last_error_time", "first", "last", "records", "failing", "timeline",
        "timeline_dropped",
    ]  # fmt: skip


def test_a_row_is_made_anew_each_time(many: dict[str, Any]) -> None:
    """Read-only: changing a row that was handed out changes nothing in the report."""
    accounts = many["accounts"]
    accounts[0]["state"] = "changed"
    assert accounts[0]["state"] != "changed"


def test_failing_rows_and_healthy_counts_match_a_scan_of_every_row(
    many: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = many["accounts"]
    rows = list(accounts)
    made: list[str] = []
    real = AccountTable._row

    def counted(self: AccountTable, account: str, provider: str, failing: bool) -> Any:
        made.append(account)
        return real(self, account, provider, failing)

    monkeypatch.setattr(AccountTable, "_row", counted)
    failing = failing_rows(accounts)
    assert failing == failing_rows(rows) and len(failing) == 28
    assert len(made) == 28, "only the failing rows are made"
    assert all(row["last_error"] and PASSWORD not in row["last_error"] for row in failing)
    assert healthy_counts(accounts) == healthy_counts(rows)
    assert sum(n for _, n in healthy_counts(accounts)) == 672
    assert views.failing_first(accounts) == views.failing_first(rows)
    assert htmlview.account_rows(many) == htmlview.account_rows({**many, "accounts": rows})
    assert len(made) == 28 * 3, "each view made the failing rows only"


def test_json_pieces_are_the_whole_report_byte_for_byte(
    many: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _whole_json(many)
    assert "\\u202e" in whole and '\\"q' in whole  # json_safe and escapes reached the rows
    monkeypatch.setattr(jsonstream, "_PIECE_CHARS", 5_000)  # many pieces
    pieces = list(json_pieces(many))
    assert len(pieces) > 20
    assert "".join(pieces) == whole == render(many, CATALOG, Format.JSON)
    assert json.loads(whole)["accounts"] == json.loads(json.dumps(list(many["accounts"])))


@pytest.mark.parametrize("accounts", [0, 1])
def test_json_pieces_for_no_account_and_for_one(tmp_path: Path, accounts: int) -> None:
    line = {"level": 30, "time": 1795420800000, "msg": "Started API server thread"}
    log = tmp_path / "instance.log"
    log.write_text(json.dumps(line) + "\n")
    paths = [log, _log(tmp_path / "one.log", 1, failing_every=2)][: accounts + 1]
    report = _report(*paths)
    assert len(report["accounts"]) == accounts
    assert "".join(json_pieces(report)) == _whole_json(report)


def test_sample_day_json_is_the_same_as_a_list_would_give() -> None:
    report = _report(SAMPLE)
    assert "".join(json_pieces(report)) == _whole_json(report)


def test_pieces_written_to_a_file_and_gzipped_are_the_same_bytes(
    many: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonstream, "_PIECE_CHARS", 3_000)
    whole = _whole_json(many)
    write_output(tmp_path / "r.json", json_pieces(many))
    assert (tmp_path / "r.json").read_text() == whole
    write_output(tmp_path / "r.json.gz", json_pieces(many), compress=True)
    packed = (tmp_path / "r.json.gz").read_bytes()
    assert packed == gzip.compress(whole.encode(), mtime=0)
    assert gzip.decompress(packed).decode() == whole


def test_pseudonyms_row_by_row_equal_scrubbing_the_list(many: dict[str, Any]) -> None:
    """--pseudonymize: the table's rows get their stand-ins as they are made, and they are
    what scrubbing the whole list of rows gave; no account name is left in clear."""
    rows = list(many["accounts"])
    pseudonyms = Pseudonyms(a["account"] for a in rows)
    table = scrub(many, True, pseudonyms)
    listed = scrub(copy.deepcopy(plain(many)), True, Pseudonyms(a["account"] for a in rows))
    assert isinstance(table["accounts"], AccountTable)
    assert table["accounts"] == listed["accounts"]
    text = "".join(json_pieces(table))
    assert text == _whole_json(listed)
    assert not any(f'"{row["account"]}"' in text for row in rows if row["account"].isalnum())
    assert healthy_counts(table["accounts"]) == healthy_counts(listed["accounts"])
    assert list(many["accounts"]) == rows, "the report scrubbed is a new one"


def test_without_pseudonyms_the_table_is_not_copied(many: dict[str, Any]) -> None:
    assert scrub(many, True, None)["accounts"] is many["accounts"]


def test_baseline_statuses_match_the_list(many: dict[str, Any]) -> None:
    rows = list(many["accounts"])
    failing = [r["account"] for r in rows if r["failing"]]
    previous = {
        "findings": [],
        "accounts": [
            {"account": failing[0], "failing": True},  # ongoing
            {"account": rows[1]["account"], "failing": True},  # resolved
            {"account": "gone-since", "failing": True},  # not in this report
        ],
    }
    table_report = {**many, "findings": [], "summary": dict(many["summary"])}
    list_report = copy.deepcopy({**plain(many), "findings": []})
    apply_baseline(table_report, previous, "base.json")
    apply_baseline(list_report, previous, "base.json")
    assert table_report["accounts"] == list_report["accounts"]
    assert table_report["baseline"] == list_report["baseline"]
    status = {r["account"]: r.get("status") for r in table_report["accounts"]}
    assert status[failing[0]] == "ongoing" and status[failing[1]] == "new"
    assert status[rows[1]["account"]] == "resolved" and status[rows[2]["account"]] is None
    assert list(table_report["accounts"][0])[-1] == "status"
