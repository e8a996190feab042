"""Issue 20, unsafe outputs and -o: log text and user catalogs are data in every format, and
`-o` writes what it was asked to, where it was asked to, with the file mode it should have.

The property runs in-process within a few seconds (`HYPOTHESIS_PROFILE=long` for more); the
regression tests run the real CLI, one per cause.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import stat
import subprocess
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, eelogs_command, run
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from markdown_check import broken_rows, live_markup, tokens

from eelogs import commands
from eelogs.aggregate import Scope, build_report
from eelogs.catalog import load_catalog
from eelogs.collect import Collector
from eelogs.framing import Payload
from eelogs.match import Classifier
from eelogs.parse import Record, parse_payload
from eelogs.redact import scrub
from eelogs.render import Format, render
from eelogs.watch import Watcher

EXAMPLES = 2_000 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 15
MARK = "PLANT"
# what must never reach text or Markdown raw: C0 but LF, DEL, C1, bidi controls, separators
RAW_CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
OUR_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
FRAGMENTS = [
    "\x1b]0;pwned title\x07",
    "\x1b]52;c;cHduZWQ=\x07",
    "\x1b[2J\x1b[H",
    "\x9b31m",
    "\u202egnp.exe",
    "\u2066\u2069\u200f",
    "\r",
    "\n",
    "\r# injected heading",
    "\n| injected | row |",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "[x](javascript:alert(1))",
    "![](http://evil.example/p.png)",
    "[click](http://evil.example)",
    "<http://evil.example>",
    " http://evil.example ",
    " www.evil.example ",
    " mail@evil.example ",
    "**bold**",
    "_em_",
    "~~gone~~",
    "`",
    "```",
    "|",
    "\\|",
    "\\",
    "# ",
    "&lt;b&gt;",
    "&#60;i&#62;",
    "\t",
    "\x00",
    "\x7f",
    "\u2028",
    "1. ",
    "- ",
]
_CONTROLS = st.characters(
    codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp"], exclude_characters="\ufeff"
)


def hostile(mark: str) -> st.SearchStrategy[str]:
    """Fragments and control characters around `mark`, which tells where the text went."""
    parts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), _CONTROLS), min_size=1, max_size=6)
    return parts.map(
        lambda p: ("".join(p[: len(p) // 2]) + mark + "".join(p[len(p) // 2 :])).replace(
            "evil", mark
        )
    )


HOSTILE = hostile(MARK)
# catalog text is Markdown by design (its emphasis and headings are ours): its own mark
CATALOG_MARK = "CATALOGUED"
FIELDS = ("msg", "account", "message", "response", "component")
CATALOG = load_catalog()
CLASSIFIER = Classifier(CATALOG)


def _records(planted: dict[str, str]) -> list[dict[str, Any]]:
    """An IMAP login failure (a built-in finding with a last error and a sample), the same
    under a user pattern's host, and an unknown warning: each field planted or plain."""
    account = planted.get("account", "acct-1")
    err = {
        "message": planted.get("message", "Command failed"),
        "response": planted.get("response", "2 NO [AUTHENTICATIONFAILED] failed"),
        "authenticationFailed": True,
    }
    base = {"level": 50, "pid": 7, "component": planted.get("component", "connection-client")}
    return [
        {**base, "time": 1795420800000, "hostname": "ee", "account": account,
         "msg": planted.get("msg", "Failed to authenticate"), "err": err},
        {**base, "time": 1795420801000, "hostname": "probe-host", "account": account,
         "msg": planted.get("msg", "probe"), "err": err},
        {**base, "level": 40, "time": 1795420802000, "hostname": "ee", "account": account,
         "msg": f"unknown {planted.get('msg', 'thing')} happened"},
    ]  # fmt: skip


def _report(planted: dict[str, str], catalog: Any) -> dict[str, Any]:
    collector = Collector()
    classifier = Classifier(catalog)
    for n, row in enumerate(_records(planted), 1):
        entry = parse_payload(Payload(json.dumps(row), row, "hostile.log", n, "raw"))
        assert isinstance(entry, Record)
        collector.add(entry, classifier.classify(entry))
    report = scrub(build_report(collector, catalog, Scope()), True, None)
    report["input"]["warnings"] = [f"the folder {planted.get('msg', 'x')} held no log files"]
    report["eelogs"] = {
        "version": "0",
        "generated": "",
        "accounts": [planted.get("account", "acct-1")],
        "providers": [],
        "redacted": True,
    }
    return report


def _toml(text: str) -> str:
    """A TOML basic string holding `text` exactly."""
    escaped = "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or c in '"\\\x7f' else c for c in text)
    return f'"{escaped}"'


def _user_catalog(folder: Path, text: str) -> None:
    """A user pattern whose every text is `text`, matching the probe host's records."""
    (folder / "probe-pattern.toml").write_text(
        f"""id = "probe-pattern"
title = {_toml(text)}
action = {_toml(text)}
severity = "critical"
category = "custom"
priority = 100

[[match]]
"hostname" = "probe-host"

[docs]
what = {_toml(text)}
why = {_toml(text)}
fix = {_toml(text + " for {account}")}
references = ["https://example.org/doc"]

[docs.providers]
gmail = {_toml(text)}

[[examples]]
expect = "match"
line = '{{"level":50,"time":1,"hostname":"probe-host","msg":"x"}}'
"""
    )


def assert_terminal_safe(text: str, colour: bool = False) -> None:
    shown = OUR_COLOUR.sub("", text) if colour else text
    assert not RAW_CONTROL.findall(shown), RAW_CONTROL.findall(shown)


def assert_markdown_safe(markdown: str) -> None:
    assert_terminal_safe(markdown)
    assert not broken_rows(markdown), broken_rows(markdown)
    assert not live_markup(markdown, MARK), live_markup(markdown, MARK)
    assert not live_markup(markdown, CATALOG_MARK, data=False)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def assert_html_safe(html: str) -> None:
    """No element or attribute comes from the data: the planted mark is only ever text."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.elements:
        assert "PLANT" not in tag and tag not in ("img", "iframe", "object", "embed"), tag
        for name, value in attrs:
            assert not {MARK, CATALOG_MARK} & {name, value}, (tag, name, value)
            assert MARK not in name and not name.startswith("on"), (tag, name, value)
            assert MARK not in (value or ""), (tag, name, value)
            # catalog text is Markdown: its http(s) links are links, nothing else of it is
            catalog_link = name == "href" and (value or "").startswith(("http://", "https://"))
            assert catalog_link or CATALOG_MARK not in (value or ""), (tag, name, value)
            if name == "href":
                assert (value or "").startswith(("#", "https://", "http://")), value
    assert [tag for tag, _ in parser.elements].count("script") == 1
    assert_terminal_safe(html.replace("\n", ""))


def assert_json_safe(text: str) -> None:
    json.loads(text)
    assert not re.search("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]", text)


# each example runs every renderer: shrinking a failure would take many minutes, so the
# failing example is reported as it was found
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    planted=st.dictionaries(st.sampled_from(FIELDS), HOSTILE, min_size=1),
    catalog_text=hostile(CATALOG_MARK),
)
def test_planted_markup_and_controls_stay_inert_in_every_format(
    planted: dict[str, str], catalog_text: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _user_catalog(Path(folder), catalog_text.replace("\x00", ""))
        catalog = load_catalog([Path(folder)])
    report = _report(planted, catalog)
    assert_terminal_safe(render(report, catalog, Format.TEXT))
    assert_terminal_safe(render(report, catalog, Format.TEXT, color=True), colour=True)
    assert_markdown_safe(render(report, catalog, Format.MD))
    assert_html_safe(render(report, catalog, Format.HTML))
    assert_json_safe(render(report, catalog, Format.JSON))
    assert_terminal_safe(commands.show_pattern(catalog, "probe-pattern"))
    assert_terminal_safe(commands.list_patterns(catalog, "text"))
    assert_json_safe(commands.list_patterns(catalog, "json"))
    assert_markdown_safe(commands.list_patterns(catalog, "md"))
    watched = io.StringIO()
    watcher = Watcher(catalog, False, 3600, watched)
    watcher.run(iter(json.dumps(r) for r in _records(planted)), "hostile.log")
    watcher.summary()
    assert_terminal_safe(watched.getvalue())


# --- one regression test per cause, through the real CLI --------------------------------

ESCAPES = "\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07\x1b[2J\x9b31m\u202eevil"


def _log(path: Path, **planted: str) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in _records(planted)) + "\n")
    return path


def test_terminal_escapes_from_logs_are_shown_not_acted_on(tmp_path: Path) -> None:
    log = _log(tmp_path / "esc.log", account=f"acct{ESCAPES}", message=f"boom{ESCAPES}")
    plain = run(["analyze", str(log)])
    assert plain.returncode == 0 and "\x1b" not in plain.stdout
    assert "\\x1b]0;pwned\\x07" in plain.stdout and "\\x9b31m\\u202eevil" in plain.stdout
    coloured = run(["analyze", str(log), "--color"])
    assert "\x1b[1m" in coloured.stdout  # our own colour stays
    assert_terminal_safe(coloured.stdout, colour=True)
    watched = run(["watch", "--summary-every", "3600"], stdin=log.read_text())
    assert "\\x1b]0;pwned" in watched.stdout and "\x1b" not in watched.stdout
    for fmt in ("md", "html"):
        assert "\x1b" not in run(["analyze", str(log), "--format", fmt]).stdout
    classified = run(["classify", str(log)]).stdout
    assert "\x9b" not in classified and "\u202e" not in classified
    assert json.loads(classified.splitlines()[0])["account"] == f"acct{ESCAPES}"


def test_patterns_show_and_list_show_a_user_catalogs_escapes(tmp_path: Path) -> None:
    _user_catalog(tmp_path, f"title {ESCAPES} <b>bold</b>")
    shown = run(["patterns", "show", "probe-pattern", "--patterns", str(tmp_path)])
    assert shown.returncode == 0 and "\x1b" not in shown.stdout and "\\x1b[2J" in shown.stdout
    listed = run(["patterns", "list", "--patterns", str(tmp_path)])
    assert "\x1b" not in listed.stdout and "\u202e" not in listed.stdout
    markdown = run(["patterns", "list", "--format", "md", "--patterns", str(tmp_path)]).stdout
    assert not live_markup(markdown, "title", data=False)
    assert "&lt;b&gt;bold&lt;/b&gt;" in markdown  # shown as written, never a tag


def test_markdown_keeps_log_text_as_it_was_and_inert(tmp_path: Path) -> None:
    response = "2 NO `quoted` [x](http://evil.example) **loud**\r# injected | cell"
    log = _log(tmp_path / "md.log", response=response, message="Command failed")
    markdown = run(["analyze", str(log), "--format", "md", "--account", "acct-1"]).stdout
    assert not broken_rows(markdown)
    parsed = tokens(markdown)
    headings = [b.content for a, b in itertools.pairwise(parsed) if a.type == "heading_open"]
    assert headings and not [h for h in headings if "injected" in h]
    assert not live_markup(markdown, "evil") and "evil.example" in markdown
    shown = {
        c.content for t in tokens(markdown) for c in t.children or [] if c.type == "code_inline"
    }
    # backticks are kept, the CR is shown as \r, nothing else changes
    assert "2 NO `quoted` [x](http://evil.example) **loud**\\r# injected | cell" in shown


def test_html_escapes_log_text_and_links_only_web_urls(tmp_path: Path) -> None:
    _user_catalog(tmp_path, "probe title")
    log = _log(tmp_path / "x.log", account='a"><img src=x onerror=alert(1)>', message="<script>x")
    html = run(["analyze", str(log), "--format", "html", "--patterns", str(tmp_path)]).stdout
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a href="https://example.org/doc"' in html
    assert_html_safe(html.replace(MARK, ""))


def test_next_command_quotes_the_account_for_the_shell(tmp_path: Path) -> None:
    proof = tmp_path / "pwned"
    account = f"$(touch {proof})`touch {proof}`; touch {proof}"
    log = _log(tmp_path / "q.log", account=account)
    text = run(["analyze", str(log)]).stdout
    command = next(line for line in text.splitlines() if "eelogs analyze" in line)
    # the printed command, pasted into a shell: printf stands in for eelogs
    pasted = command.strip().replace("eelogs", "printf '%s\\n'", 1)
    result = subprocess.run(["sh", "-c", pasted], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and not proof.exists()
    assert account in result.stdout.splitlines()


def _write(
    args: list[str], umask: int | None = None, **kw: Any
) -> subprocess.CompletedProcess[str]:
    """`eelogs ARGS` as a real process, under `umask` if given; stdout may be redirected."""

    def setup() -> None:
        if umask is not None:
            os.umask(umask)

    kw.setdefault("stdout", subprocess.PIPE)
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [*eelogs_command(), *args], stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=setup, check=False, **kw,
    )  # fmt: skip


SAMPLE = str(REPO / "sample_logs/emailengine.log")


def test_new_reports_respect_the_umask_and_replaced_ones_keep_their_mode(tmp_path: Path) -> None:
    new = tmp_path / "new.md"
    assert _write(["analyze", SAMPLE, "-o", str(new)], umask=0o077).returncode == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    kept = tmp_path / "kept.md"
    kept.write_text("old")
    kept.chmod(0o640)
    assert _write(["analyze", SAMPLE, "-o", str(kept)], umask=0o022).returncode == 0
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() != "old"
    fresh = tmp_path / "fresh.md"
    assert _write(["analyze", SAMPLE, "-o", str(fresh)], umask=0o022).returncode == 0
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_output_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "report.md"
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    assert _write(["analyze", SAMPLE, "-o", str(link)]).returncode == 0
    assert link.is_symlink() and target.read_text().startswith("# EmailEngine log report")


def test_output_to_devices_and_fifos_writes_straight_to_them(tmp_path: Path) -> None:
    to_stdout = tmp_path / "out.txt"
    to_stdout.symlink_to("/dev/stdout")
    result = _write(["analyze", SAMPLE, "-o", str(to_stdout)])
    assert result.returncode == 0 and result.stdout.startswith("eelogs ·")
    assert to_stdout.is_symlink()
    dash = _write(["analyze", SAMPLE, "-o", "-", "--format", "md"])
    assert dash.stdout.startswith("# EmailEngine") and not Path("-").exists()
    null = tmp_path / "null.txt"
    null.symlink_to(os.devnull)
    assert _write(["analyze", SAMPLE, "-o", str(null)]).returncode == 0
    assert null.is_symlink() and stat.S_ISCHR(os.stat(os.devnull).st_mode)
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = _write(["analyze", SAMPLE, "-o", str(fifo)], timeout=120)
    reader.join(timeout=120)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and received[0].startswith(b"eelogs")


def test_output_naming_an_input_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "ee.log"
    log.write_bytes(Path(SAMPLE).read_bytes())
    (tmp_path / "alias.log").symlink_to(log)
    os.link(log, tmp_path / "hard.log")
    for output in (log, tmp_path / "alias.log", tmp_path / "hard.log"):
        result = _write(["analyze", str(log), "-o", str(output), "--format", "text"])
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "is one of the inputs" in result.stderr and "Hint: " in result.stderr
    folder = _write(["analyze", str(tmp_path), "--save-json", str(tmp_path / "hard.log")])
    assert folder.returncode == 2 and "--save-json" in folder.stderr
    assert log.read_bytes() == Path(SAMPLE).read_bytes()


def test_stale_temporaries_of_killed_runs_are_removed(tmp_path: Path) -> None:
    from eelogs.temporaries import host_tag

    dead = subprocess.Popen(["true"])
    dead.wait()
    host = host_tag()
    stale = tmp_path / f".report.md.eelogs-{host}-{dead.pid}-abcd1234.tmp"
    alive = tmp_path / f".report.md.eelogs-{host}-{os.getpid()}-abcd1234.tmp"
    other_host = tmp_path / f".report.md.eelogs-elsewhere-{dead.pid}-abcd1234.tmp"
    foreign = tmp_path / ".report.md.abcd.tmp"
    for path in (stale, alive, other_host, foreign):
        path.write_text("half a report")
    result = _write(["analyze", SAMPLE, "-o", str(tmp_path / "report.md")])
    assert result.returncode == 0
    assert not stale.exists() and alive.exists() and other_host.exists() and foreign.exists()
    assert "removed 1 temporary file(s)" in result.stderr and stale.name in result.stderr
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"report.md", alive.name, other_host.name, foreign.name}


def test_temporaries_are_named_with_host_and_pid() -> None:
    from eelogs.temporaries import host_tag, prefix

    name = prefix("x" * 250 + ".md")
    assert name.startswith(".xxx") and f".eelogs-{host_tag()}-{os.getpid()}-" in name
    assert len(name.encode()) < 200


@pytest.mark.parametrize(
    "args",
    [
        ["analyze", SAMPLE],
        ["analyze", SAMPLE, "--format", "json"],
        ["classify", SAMPLE],
        ["patterns", "list"],
        ["patterns", "show", "oauth-invalid-grant"],
    ],
)
def test_a_full_stdout_is_an_error_not_a_traceback(args: list[str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        result = _write(args, stdout=full)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "Error: cannot write to stdout" in result.stderr and "Hint: " in result.stderr


def test_a_full_stdout_ends_watch_with_an_error() -> None:
    with open("/dev/full", "w") as full:
        result = _write(["watch"], stdout=full, input=Path(SAMPLE).read_text())
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr


def test_over_long_output_paths_are_errors(tmp_path: Path) -> None:
    long_name = tmp_path / ("a" * 300 + ".md")
    long_path = tmp_path / ("d/" * 2100 + "x.md")
    for output in (long_name, long_path):
        result = _write(["analyze", SAMPLE, "-o", str(output)])
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("Error: cannot write") and "Hint: " in result.stderr
