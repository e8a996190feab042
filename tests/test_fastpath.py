"""The columnar fast path (issue 6) must give exactly the per-line path's report.

Each test runs the same input both ways through pipeline.analyze and compares the whole
report; small blocks make block boundaries fall everywhere.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import REPO, analyze_json, eelogs_command, pattern_toml, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eelogs import fastpath
from eelogs.catalog import Catalog, load_catalog
from eelogs.collect import Collector
from eelogs.fastcols import _covers, block_texts, count_lines
from eelogs.fastplan import FastPlan
from eelogs.jsonstream import plain
from eelogs.match import Classifier
from eelogs.pipeline import Analysis, Window, analyze
from eelogs.sources import Input, Progress, expand_inputs, open_binary

CATALOG = load_catalog()
SAMPLE = REPO / "sample_logs" / "emailengine.log"
SAMPLE_LINES = SAMPLE.read_text().splitlines()


def both_ways(
    paths: list[Path], window: Window | None = None, catalog: Catalog = CATALOG
) -> tuple[dict[str, Any], ...]:
    analysis = Analysis(catalog, window or Window())
    out = []
    for fast in (True, False):
        report = analyze(expand_inputs([str(p) for p in paths]), analysis, fast=fast)
        report.pop("eelogs")
        out.append(json.loads(json.dumps(plain(report), default=str)))
    return tuple(out)


def fast_lines(path: Path) -> int:
    """How many lines of `path` the fast path counted in bulk."""
    run = fastpath.FastRun(str(path), Collector(), Classifier(CATALOG), Window(), FastPlan(CATALOG))
    fastpath.read_fast(Input(str(path), path=path), run, Progress())
    return run.fast_lines


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastpath, "BLOCK_BYTES", 64 * 1024)


def test_sample_log_same_report_and_mostly_fast(small_blocks: None) -> None:
    fast, slow = both_ways([SAMPLE])
    assert fast == slow
    assert fast["input"]["records"] == len(SAMPLE_LINES)
    assert fast_lines(SAMPLE) > len(SAMPLE_LINES) * 0.6


def test_generated_day_same_report(tmp_path: Path, small_blocks: None) -> None:
    log = tmp_path / "day.log"
    subprocess.run(
        [sys.executable, str(REPO / "sample_logs/generate.py"), "--lines", "30000",
         "--accounts", "300", "-o", str(log)],
        check=True,
    )  # fmt: skip
    fast, slow = both_ways([log])
    assert fast == slow
    assert fast["accounts"], "the generated day has accounts"
    assert fast_lines(log) > 20000


def planted_both_ways(
    tmp_path: Path, match: str, example: str, planted: list[str], at: int
) -> dict[str, int]:
    """A user pattern (`match`, one TOML [[match]] block) and the sample log with `planted`
    lines after its first `at`: both ways, the same report; its finding counts."""
    folder = tmp_path / "patterns"
    folder.mkdir()
    (folder / "user-test.toml").write_text(pattern_toml("user-test", match, example))
    log = tmp_path / "x.log"
    log.write_text("\n".join([*SAMPLE_LINES[:at], *planted, *SAMPLE_LINES[at:]]) + "\n")
    fast, slow = both_ways([log], catalog=load_catalog([folder]))
    assert fast == slow
    return {f["pattern"]: f["count"] for f in fast["findings"]}


def test_needles_past_one_mask_still_route_their_lines(tmp_path: Path, small_blocks: None) -> None:
    """A catalog with more needles than one found mask holds: a healthy line holding only
    a late needle must still reach the per-line path and match."""
    tags = [f"tag{i:03d}" for i in range(100)]
    match = '"tag" = [' + ", ".join(f'"{tag}"' for tag in tags) + "]"
    tagged = [f'{{"level":30,"time":{1795420800000 + i},"msg":"Tagged","account":"a{i}",'
              f'"tag":"{tags[i]}"}}' for i in (99, 70, 63, 62, 0)]  # fmt: skip
    counts = planted_both_ways(tmp_path, match, tagged[-1], tagged, 3000)
    assert counts.get("user-test") == len(tagged)
    assert len(FastPlan(load_catalog([tmp_path / "patterns"])).found) >= 2


@pytest.mark.parametrize(
    ("match", "msg"),
    [
        # Rust refuses a look-ahead: every message passes the quick pre-check
        ("\"msg|re\" = '^Queue (?=drained)'", "Queue drained after 5 jobs"),
        # a msg test without a quick pre-check: messages are tested one by one
        ('"msg|exists" = true\n"level|lt" = 40', "Anything healthy"),
    ],
)
def test_messages_user_patterns_test_in_other_ways_route_alike(
    tmp_path: Path, small_blocks: None, match: str, msg: str
) -> None:
    record = {"level": 30, "time": 1795420800000, "msg": msg, "account": "u1"}
    line = json.dumps(record, separators=(",", ":"))  # pino's shape: the fast path's
    assert planted_both_ways(tmp_path, match, line, [line, line], 2000).get("user-test", 0) >= 2


@pytest.mark.parametrize(
    "window",
    [
        Window(since_ms=1795420800000 + 3 * 3_600_000),
        Window(until_ms=1795420800000 + 5 * 3_600_000),
        Window(accounts=frozenset({"jdoe-gmail", "acme-support", "user12"})),
    ],
)
def test_windows_same_report(window: Window, small_blocks: None) -> None:
    fast, slow = both_ways([SAMPLE], window)
    assert fast == slow


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "sample_logs/framings").iterdir()))
def test_other_framings_same_report(name: str, small_blocks: None) -> None:
    fast, slow = both_ways([REPO / "sample_logs/framings" / name])
    assert fast == slow


def test_compressed_healthy_corpus_same_report(small_blocks: None) -> None:
    fast, slow = both_ways([REPO / "tests/corpus/healthy.log.gz"])
    assert fast == slow
    assert fast["findings"] == []


def test_invalid_json_in_pino_shape_is_unparsed_both_ways(
    tmp_path: Path, small_blocks: None
) -> None:
    line = '{"level":30,"time":1795420800%03d,"msg":"New message","account":"bob%d"}'
    lines = [line % (i, i) for i in range(400)]
    lines[200] = '{"level":30,"time":1795420800200,"msg":"New message","account":"bob","b":tru}'
    lines[201] = '{"level":30,"time":1795420800201,"msg":"New message","b":"tab\there"}'
    log = tmp_path / "corrupt.log"
    log.write_text("\n".join(lines) + "\n")
    fast, slow = both_ways([log])
    assert fast == slow
    assert fast["input"]["unparsed"] == 2
    assert [s["line"] for s in fast["input"]["unparsed_samples"]] == [201, 202]


def test_pino_records_with_wrapper_fields_stay_pino_records(
    tmp_path: Path, small_blocks: None
) -> None:
    """A pino record holding Docker's `log` and `stream` or journald's `MESSAGE` and
    `__CURSOR` is still the record itself, not a wrapper around another."""
    line = '{"level":30,"time":1795420800%03d,"msg":"New message","account":"bob%d"}'
    lines = [line % (i, i) for i in range(400)]
    lines[100] = next(odd for odd in _ODD if '"stream"' in odd)
    lines[300] = next(odd for odd in _ODD if '"__CURSOR"' in odd)
    log = tmp_path / "wrapper-fields.log"
    log.write_text("\n".join(lines) + "\n")
    fast, slow = both_ways([log])
    assert fast == slow
    assert fast["input"]["records"] == 400
    assert fast["findings"] == []
    assert "carol" not in {a["account"] for a in fast["accounts"]}


_PREFIXED = (
    'Nov 23 08:00:02 ee emailengine[7]: {"level":30,"time":1795420802000,'
    '"msg":"Created primary client","account":"bob"}'
)


@pytest.mark.parametrize(
    "reconnect",
    [
        # a line of another framing: its account is unknown until it is parsed
        [_PREFIXED],
        # a line the per-line path reads (it holds an error object) with a known account
        [
            '{"level":30,"time":1795420802000,"msg":"Created primary client","account":"bob",'
            '"err":{"message":"x"}}'
        ],
        # the account named twice: the last one counts, so this line is about bob
        [
            '{"level":40,"time":1795420802000,"msg":"Created primary client","account":"carol",'
            '"account":"bob"}'
        ],
        # the account key spelt with an escape
        [
            '{"level":40,"time":1795420802000,"msg":"Created primary client","account":"carol",'
            '"acc\\u006funt":"bob"}'
        ],
        # an API request's own params name bob: this line is about no account
        [
            '{"level":50,"time":1795420802000,"msg":"API request failed","component":"api",'
            '"req":{"params":{"account":"bob"}}}',
            '{"level":40,"time":1795420802001,"msg":"Created primary client","account":"bob"}',
        ],
        # a pretty-printed record: its block goes line by line as a whole
        [
            "{",
            '  "level": 30, "time": 1795420802000, "msg": "Created primary client",',
            '  "account": "bob"',
            "}",
        ],
    ],
    ids=["prefixed", "err", "twice", "escaped", "params", "pretty"],
)
@pytest.mark.parametrize("active", [0, 1])
@pytest.mark.parametrize("gap", [0, 100])
def test_activity_after_a_per_line_reconnect_counts(
    reconnect: list[str], active: int, gap: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path skips activity that cannot change an account's state (it is connected
    already), also across blocks; a per-line row between that takes the account back to
    connecting must end that, whether its account is known before parsing or not, whether
    the account was active earlier in the same block (`active`) or not, and whether the
    activity comes in the same block (no `gap`) or a later one."""
    monkeypatch.setattr(fastpath, "BLOCK_BYTES", 4096)
    filler = '{"level":20,"time":17954208%05d,"msg":"New message","account":"other%d"}'
    lines = [
        '{"level":30,"time":1795420801000,"msg":"Successful login without a previous active '
        'session","account":"bob"}',
        '{"level":20,"time":1795420801001,"msg":"New message","account":"bob"}',
        *(filler % (1100 + i, i % 7) for i in range(100)),
        *(['{"level":20,"time":1795420801999,"msg":"New message","account":"bob"}'] * active),
        *reconnect,
        *(filler % (2100 + i, i % 7) for i in range(gap)),
        '{"level":20,"time":1795420803000,"msg":"New message","account":"bob"}',
        *(filler % (3100 + i, i % 7) for i in range(100)),
    ]
    log = tmp_path / "reconnect.log"
    log.write_text("\n".join(lines) + "\n")
    fast, slow = both_ways([log])
    assert fast == slow
    bob = next(a for a in fast["accounts"] if a["account"] == "bob")
    assert (bob["state"], bob["state_since"]) == ("connected", "2026-11-23T08:00:03.000Z")


_MSGS = [
    "* OK Gimap ready for requests from 198.51.100.20 ynqxzr6aarc8",
    "* OK Gimap ready for requests from 203.0.113.7 q8x0",
    '* ID ("name" "GImap" "vendor" "Google, Inc.")',
    "* OK The Microsoft Exchange IMAP4 service is ready. [1057eyw1enne]",
    "* OK [CAPABILITY XAPPLEPUSHSERVICE IMAP4rev1] iCloud IMAP4 Service 2531B33",
    "* OK [CAPABILITY IMAP4rev1 XYMHIGHESTMODSEQ] IMAP4rev1 imapgate ready",
    '1 LOGIN "team@fastmail.com" "(* value hidden *)"',
    '7 LOGIN "bob@example.org" "(* value hidden *)"',
    "2 AUTHENTICATE PLAIN",
    "3 AUTHENTICATE LOGIN",
    '1 AUTHENTICATE XOAUTH2 "(* value hidden *)"',
    "A9 AUTHENTICATE OAUTHBEARER x",
    "1 LOGINX",
    "Initializing Gmail account",
    "Initializing Gmail send-only account",
    "Initializing Outlook account",
    "OAuth2 authentication request",
    "OAuth2 authentication request\n",
    "Renewed OAuth2 access token",
    "Yahoo",
    "",
]


def test_a_message_counts_for_providers_only_through_the_listed_tests() -> None:
    """fastbulk keys provider clues and auth methods by which of the tests derived from the
    provider rules (MSG_TESTS, MSG_EQUALS) a message passes (computed by polars, Rust's regex
    engine): messages that pass the same ones must get the same answers, and both engines
    must agree on every test."""
    import re
    from collections import defaultdict

    import polars as pl

    from eelogs.fastbulk import MSG_EQUALS, MSG_TESTS, _signature
    from eelogs.fastplan import probe
    from eelogs.providers import auth_method, provider_signals

    sample = {json.loads(line).get("msg") for line in SAMPLE_LINES if line.startswith("{")}
    msgs = sorted({m for m in sample if isinstance(m, str)} | set(_MSGS))
    rust = pl.DataFrame({"m": msgs}).select(pl.concat_str(_signature(pl.col("m"))))[:, 0].to_list()
    python = [
        "".join(str(int(bool(re.search(p, m)))) for p in MSG_TESTS)
        + "".join(str(int(m == text)) for text in MSG_EQUALS)
        for m in msgs
    ]
    assert rust == python
    contexts = [{}, {"src": "s"}, {"src": "c", "sub": "imap-connection"},
                {"url": "https://gmail.googleapis.com/gmail/v1/users/me"}]  # fmt: skip
    answers: dict[tuple[str, int, str | None], set[Any]] = defaultdict(set)
    for msg, signature in zip(msgs, rust, strict=True):
        for n, data in enumerate(contexts):
            for component in (None, "connection-client"):
                record = probe(msg, data, account=None, component=component)
                answer = (tuple(provider_signals(record)), auth_method(record))
                answers[(signature, n, component)].add(answer)
    assert all(len(found) == 1 for found in answers.values())
    assert len(set(rust)) >= 10


def test_stdin_and_file_agree_through_the_cli() -> None:
    from_file = analyze_json(str(SAMPLE))
    from_stdin = analyze_json("-", stdin=SAMPLE.read_bytes())
    for report in (from_file, from_stdin):
        report.pop("eelogs")
    # the only difference allowed: where the samples say they came from
    as_stdin = json.dumps(from_file).replace(json.dumps(str(SAMPLE))[1:-1], "<stdin>")
    assert json.loads(as_stdin) == from_stdin


# Lines that stress the routing: escapes, duplicate and nested keys, odd types, garbage,
# a pretty-printed object, a level that is not two digits, a time that is not 13 digits.
_ODD = [
    # a debug line no pattern reads, whose provider clue sits in its error object
    '{"level":20,"time":1795420899999,"msg":"Token request answered","account":"dave",'
    '"err":{"message":"AADSTS700016: Application with identifier was not found"}}',
    # a connection line whose only provider clue is the TLS server name
    '{"level":20,"time":1795420899998,"msg":"Established secure TCP connection",'
    '"account":"erin","servername":"imap.mail.me.com"}',
    '{"level":30,"time":1795420900000,"msg":"New message","account":"jdoe-gmail","account":"x"}',
    '{"level":30,"time":1795420900001,"msg":"New message","meta":{"account":"ghost"}}',
    '{"level":30,"time":1795420900002,"msg":"Renewed OAuth2 access token","account":"a@gmail.com",'
    '"user":"a@gmail.com","url":"https://oauth2.googleapis.com/token","component":"connection-client"}',
    '{"level":30,"time":1795420900003,"msg":"User \\"bob\\" authenticated","account":"bob"}',
    '{"level":30,"time":1795420900004,"msg":"Failed to \\u0061uthenticate","account":"bob"}',
    '{"level":30,"time":1795420900005,"msg":"New message","account":12}',
    '{"level":5,"time":1795420900006,"msg":"New message","account":"bob"}',
    '{"level":30,"time":17954209000,"msg":"New message","account":"bob"}',
    '{"level":30,"time":1795420900008,"msg":"Connection closed","type":"imapClient",'
    '"account":"bob"}',
    '{"level":30,"time":1795420900009,"msg":"Successful login without a previous active session",'
    '"account":"bob"}',
    '{"level":30,"time":1795420900010,"msg":"OAuth2 authentication request","success":false,'
    '"account":"bob","response":{"error":"invalid_grant"}}',
    '{"level":30,"time":1795420900011,"msg":"Notification queue entry completed","account":"bob"}',
    '{"level":30,"time":1795420900012,"msg":"x","host":"imap.mail.me.com","host":"imap.gmail.com",'
    '"account":"carol"}',
    '{"level":30,"time":1795420900014,"msg":"New message","account":"bob","b":tru}',
    '{"level":30,"time":1795420900015,"msg":"New message","account":"bob","b":"x\ty"}',
    '{"level":30,"time":1795420900016,"msg":"New message","account":"bob","b":[1,}',
    '{"level":30,"time":1795420900017,"msg":"Connection closed","type":"imapClient",'
    '"disabled":true,"account":"bob"}',
    '{"level":30,"time":1795420900018,"msg":"Connection closed","type":"imapClient",'
    '"type":"smtp","account":"bob"}',
    '{"level":30,"time":1795420900019,"msg":"Skipped connection setup","reason":"paused",'
    '"account":"bob"}',
    '{"level":30,"time":1795420900020,"msg":"Closing connection","action":"pause",'
    '"account":"carol"}',
    '{"level":30,"time":1795420900021,"msg":"Connection closed","type":"imapClient",'
    '"disabled":0,"account":"bob"}',
    '{"level":50,"time":1795420900022,"msg":"Failed to authenticate","account":"bob",'
    '"component":"connection-client"}',
    '{"level":40,"time":1795420900023,"msg":"Failed to connect","account":"bob","account":"carol"}',
    '{"level":50,"time":1795420900024,"msg":"Failed to connect","meta":{"account":"bob"}}',
    '{"level":30,"time":1795420900025,"msg":"Initiated IDLE, waiting for server input",'
    '"account":"bob"}',
    '{"level":30,"time":1795420900026,"msg":"User authenticated","account":"bob"}',
    '{"level":30,"time":1795420900027,"msg":"Created primary client","account":"bob"}',
    # fields a wrapper has (Docker's log and stream, journald's MESSAGE) in a pino record
    '{"level":30,"time":1795420900028,"msg":"New message","account":"bob","log":"x",'
    '"stream":"stdout"}',
    '{"level":30,"time":1795420900029,"msg":"New message","account":"bob","MESSAGE":'
    '"{\\"level\\":50,\\"msg\\":\\"Failed to authenticate\\",\\"account\\":\\"carol\\"}",'
    '"__CURSOR":"s=1"}',
    # a CRLF line end, a lone carriage return, a byte that is not UTF-8 (surrogateescape)
    '{"level":30,"time":1795420900030,"msg":"New message","account":"bob"}\r',
    '{"level":30,"time":1795420900031,"msg":"New\rmessage","account":"bob"}',
    '{"level":30,"time":1795420900032,"msg":"New message \udcff","account":"bob"}',
    # multi-byte text before a nested object that holds a data key
    '{"level":30,"time":1795420900033,"msg":"Ünïcödé ëvërÿwhërë","account":"bob",'
    '"meta":{"host":"imap.gmail.com"}}',
    "Starting EmailEngine banner",
    "{",
    '  "level": 50, "msg": "Failed to connect", "account": "bob"',
    "}",
    '{"level":30,"time":1795420900013,"msg":"broken',
    "",
]


def test_every_odd_line_same_report(tmp_path: Path) -> None:
    """Each odd line once, among healthy ones: what the fast path counts in bulk and what it
    routes per-line must add up to the per-line path's report, whatever the rules say."""
    log = tmp_path / "odd.log"
    lines = [*SAMPLE_LINES[:200], *_ODD, *SAMPLE_LINES[200:400]]
    log.write_bytes("\n".join(lines).encode(errors="surrogateescape"))
    fast, slow = both_ways([log])
    assert fast == slow
    providers = {a["account"]: a["provider"] for a in fast["accounts"]}
    assert providers["dave"] == "outlook" and providers["erin"] == "icloud"


@settings(
    max_examples=int(os.environ.get("FASTPATH_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    picks=st.lists(
        st.one_of(
            st.integers(0, len(SAMPLE_LINES) - 1).map(lambda i: SAMPLE_LINES[i]),
            st.sampled_from(_ODD),
        ),
        min_size=1,
        max_size=400,
    ),
    block=st.sampled_from([512, 4096, 65536]),
    compressed=st.booleans(),  # a plain file is read in place, seeking back to each cut
)
def test_any_mix_of_lines_same_report(
    picks: list[str],
    block: int,
    compressed: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fastpath, "BLOCK_BYTES", block)
    data = "\n".join(picks).encode(errors="surrogateescape")
    log = tmp_path / ("mix.log.gz" if compressed else "mix.log")
    log.write_bytes(gzip.compress(data) if compressed else data)
    fast, slow = both_ways([log])
    assert fast == slow


def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    """A long read shows bytes read of the total on a terminal's stderr, and nothing when
    stderr is a file or a pipe."""
    import os as _os
    import pty

    log = tmp_path / "long.log"
    with log.open("w") as out:
        for _ in range(60):
            out.write(SAMPLE.read_text())
    master, slave = pty.openpty()
    proc = subprocess.run(
        [*eelogs_command(), "analyze", str(log), "--format", "json"],
        stdout=subprocess.DEVNULL, stderr=slave, env={**_os.environ, "NO_COLOR": "1"},
        timeout=300, check=False,
    )  # fmt: skip
    _os.close(slave)
    seen = b""
    with contextlib.suppress(OSError):
        while chunk := _os.read(master, 65536):
            seen += chunk
    _os.close(master)
    assert proc.returncode == 0
    text = seen.decode(errors="replace")
    assert f"eelogs: reading {log}" in text and " MB of " in text and "%)" in text
    piped = run(["analyze", str(log), "--format", "json"], timeout=300)
    assert "MB of" not in piped.stderr


@pytest.mark.parametrize("compressed", [False, True])
def test_blocks_are_whole_lines(
    compressed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastpath, "BLOCK_BYTES", 64)
    lines = [b"x" * n for n in (10, 30, 5, 150, 0, 20)] + [b"crlf\r", b"\xffbad", b"last"]
    data = b"\n".join(lines)  # the last line has no newline
    log = tmp_path / ("a.log.gz" if compressed else "a.log")
    log.write_bytes(gzip.compress(data) if compressed else data)
    with open_binary(Input(str(log), path=log)) as stream:
        # every input goes through the bounded reader (bounded.py), which seeks to line
        # starts only: a block's part line is carried over, never read twice
        reader = fastpath._LineBlocks(stream, False, FastPlan(CATALOG))
        assert not reader.rewinds
        blocks = list(iter(reader._next, None))
    # each block: whole lines in its first `size` bytes, then at most part of one
    assert b"".join(block[:size] for block, size in blocks) == data
    assert sum(count_lines(block, size) for block, size in blocks) == len(lines)
    for block, size in blocks[:-1]:
        assert block[size - 1 : size] == b"\n" and b"\n" not in block[size:]
    assert not any(len(block) > size for block, size in blocks)  # no part line read twice


def test_rows_read_in_place_must_cover_their_bytes() -> None:
    block = b'{"a":1}\r\nb\n\xffc\n\nnext li'
    size = block.rindex(b"\n") + 1
    in_place = block_texts(block, size)
    copied = block_texts(block[:size], size)
    assert in_place is not None and copied is not None
    expected = ['{"a":1}', "b", "\ufffdc", None]
    assert in_place["line"].to_list() == copied["line"].to_list() == expected
    assert _covers(pl.DataFrame({"line": ['{"a":1}', "b", "c", None]}), block, size) is False
    joined = pl.DataFrame({"line": ['{"a":1}', "b\nxc", None]})  # as many bytes, one row less
    assert _covers(joined, block.replace(b"\xff", b"x"), size) is False
    # a last line without its newline counts
    assert count_lines(b"a\nb", 3) == 2 and count_lines(b"a\n", 2) == 1 and count_lines(b"", 0) == 0
