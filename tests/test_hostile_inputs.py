"""Issue 20: hostile inputs, damaged files, hangs and bounds.

Properties per class of input (malformed lines, compressed files, state and baseline files)
and one regression test per cause. Hangs and blow-ups are caught by a per-example deadline
and by running the CLI under a memory ceiling (RLIMIT_AS), never by timing assertions.
`HYPOTHESIS_PROFILE=long` runs many more examples.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import gzip
import json
import os
import resource
import subprocess
import threading
from pathlib import Path
from typing import IO, Any

import pytest
import zstandard
from conftest import SAMPLES, eelogs_command, pattern_toml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eelogs import timespec
from eelogs.baseline import apply_baseline, load_baseline
from eelogs.bounded import LINE_CUT_MARK, LINE_MAX, LINE_TOO_LONG, LineSplitter
from eelogs.catalog import load_catalog
from eelogs.errors import EelogsError, OutputError
from eelogs.framing import deframe
from eelogs.match import Classifier
from eelogs.parse import Record, parse_payload
from eelogs.pipeline import Analysis, analyze, read_entries
from eelogs.redact import redact_text
from eelogs.render import Format, render
from eelogs.resume import load_state, next_state, plan_inputs, save_state
from eelogs.sources import Input, Progress, read_lines

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
MEMORY_CEILING = 1536 << 20  # 1.5 GB of address space for one CLI run
PINNED = {"EELOGS_NOW": "2026-11-24T00:15:00Z", "TZ": "UTC", "NO_COLOR": "1"}
CATALOG = load_catalog()
CLASSIFIER = Classifier(CATALOG)
RECORD = (
    '{"level":50,"time":1795420800000,"msg":"Failed to renew OAuth2 access token","account":"a"}'
)


def examples(default: int, long: int = 2000) -> Any:
    """Settings for one property: a generous deadline catches a hang or a quadratic blow-up
    without timing anything that passes."""
    return settings(
        max_examples=long if LONG else default,
        deadline=10_000,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def _ceiling() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))


def cli(
    args: list[str],
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    stream: IO[bytes] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`eelogs ARGS` in a subprocess under the memory ceiling, with the clock pinned;
    `stream`: a pipe to read as stdin instead of `stdin`'s bytes."""
    done = subprocess.run(
        [*eelogs_command(), *args],
        input=stdin,
        stdin=stream,
        capture_output=True,
        env={**os.environ, **PINNED, **(env or {})},
        timeout=timeout,
        preexec_fn=_ceiling,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )  # fmt: skip


def assert_error_hint(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: "), result.stderr[-2000:]
    assert "\nHint: " in result.stderr
    for word in words:
        assert word in result.stderr.splitlines()[0]


def report_of(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> Any:
    result = cli(["analyze", "--format", "json", *args], stdin=stdin, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


# ---- malformed lines ------------------------------------------------------------------


def _nested(depth: int, inner: str = '"x"', kind: str = "[") -> str:
    close = "]" if kind == "[" else "}"
    opened = "[" * depth if kind == "[" else '{"a":' * depth
    return opened + inner + close * depth


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=30)
PREFIXES = ["Nov 23 10:00:00 host emailengine[1]: ", "2026-11-23T10:00:00.1Z ", "ee-1  | "]
_PRETTY = json.dumps(json.loads(RECORD), indent=2)
LINE = st.one_of(
    st.just(RECORD),
    st.just("\ufeff" + RECORD),
    st.sampled_from(["{", "}", "[", "  {", "{ ", "", "\r", "}}}", "{{{", '{"level":']),
    st.integers(1, 1100).map(lambda d: RECORD[:-1] + ',"err":{"tokenRequest":' + _nested(d) + "}}"),
    st.integers(1, 1100).map(lambda d: RECORD[:-1] + ',"response":' + _nested(d, kind="{") + "}"),
    _TEXT,
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" ").decode("latin-1")),
    st.sampled_from(PREFIXES).map(lambda prefix: prefix + RECORD),
    st.just(_PRETTY),  # a pretty-printed record: several lines
    st.integers(1, 3).map(lambda n: "x" * (n * 70_000)),
)


def _covered(payload_text: str) -> int:
    return payload_text.count("\n") + 1


@examples(60)
@given(st.lists(LINE, max_size=40), st.booleans())
def test_malformed_lines_never_raise_and_every_line_is_accounted_for(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], bom: bool
) -> None:
    path = tmp_path_factory.mktemp("lines") / "mixed.log"
    path.write_bytes(
        (b"\xef\xbb\xbf" if bom else b"") + "\n".join(lines).encode("utf-8", "surrogatepass")
    )
    progress = Progress()
    covered = 0
    for payload in deframe(read_lines(Input(name="x", path=path), progress), "x"):
        covered += _covered(payload.text)
        entry = parse_payload(payload)
        if isinstance(entry, Record):  # classification and redaction walk its values
            CLASSIFIER.classify(entry)
            redact_text(entry.raw, 4000)
    assert covered == progress.line


@examples(3, 200)
@given(st.lists(LINE, min_size=1, max_size=12))
def test_malformed_lines_through_the_cli_give_a_report_or_an_error(lines: list[str]) -> None:
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    for command in (["analyze", "--format", "json", "-"], ["classify", "-"]):
        result = cli(command, stdin=data)
        assert "Traceback" not in result.stderr
        assert result.returncode in (0, 2), result.stderr[-2000:]
        if result.returncode == 2:
            assert result.stderr.startswith("Error: ")


# ---- compressed files -----------------------------------------------------------------


def _archive(kind: str, lines: int) -> bytes:
    text = "".join(
        f'{{"level":30,"time":{1795420800000 + i},"msg":"line {i}","account":"a{i % 5}"}}\n'
        for i in range(lines)
    ).encode()
    return gzip.compress(text) if kind == "gz" else zstandard.ZstdCompressor().compress(text)


def _read_all(path: Path) -> tuple[int, str | None]:
    """Entries read from `path`, and why it ended early, if it did."""
    progress: dict[str, Progress] = {}
    count = sum(1 for _ in read_entries([Input(name=str(path), path=path)], progress))
    return count, progress[str(path)].damaged


@examples(40)
@given(st.sampled_from(["gz", "zst"]), st.integers(1, 400), st.data())
def test_damaged_archives_read_up_to_the_damage(
    tmp_path_factory: pytest.TempPathFactory, kind: str, lines: int, data: st.DataObject
) -> None:
    blob = bytearray(_archive(kind, lines))
    how = data.draw(st.sampled_from(["truncate", "flip", "garbage"]))
    if how == "truncate":
        blob = blob[: data.draw(st.integers(4, len(blob) - 1))]
    elif how == "flip":
        at = data.draw(st.integers(4, len(blob) - 1))
        blob[at] ^= data.draw(st.integers(1, 255))
    else:
        blob += data.draw(st.binary(min_size=1, max_size=40))
    path = tmp_path_factory.mktemp("z") / f"damaged.log.{kind}"
    path.write_bytes(bytes(blob))
    _, damaged = _read_all(path)  # never raises
    if how == "truncate":
        assert damaged is not None


def all_formats(report: dict[str, Any]) -> dict[Format, str]:
    """A JSON report (as the CLI wrote it) rendered in every format."""
    return {fmt: render(report, CATALOG, fmt) for fmt in Format}


@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_a_damaged_archive_in_a_folder_is_named_in_every_format(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "good.log").write_text(RECORD + "\n")
    blob = _archive(kind, 300)
    (folder / f"half.log.{kind}").write_bytes(blob[: len(blob) // 2])
    (folder / f"header.log.{kind}").write_bytes(blob[:6] + b"garbage garbage garbage")
    result = cli(["analyze", "--format", "json", str(folder)])
    assert result.returncode == 0, result.stderr
    shown = all_formats(json.loads(result.stdout))
    for name in (f"half.log.{kind}", f"header.log.{kind}"):
        assert name in result.stderr
        assert all(name in text for text in shown.values())


def test_a_lone_truncated_zst_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "only.log.zst"
    blob = _archive("zst", 300)
    path.write_bytes(blob[: len(blob) // 2])
    result = cli(["analyze", str(path)])
    if result.returncode == 0:  # what came before the damage held records
        assert "only.log.zst" in result.stderr
    else:
        assert_error_hint(result, "only.log.zst")


# ---- state and baseline files ---------------------------------------------------------

SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
MARK = st.fixed_dictionaries(
    {},
    optional={
        k: JSON | st.integers(-5, 2**64)
        for k in ("offset", "line", "inode", "device", "size", "head", "head_len", "path")
    },
)
STATE = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"version": st.sampled_from([1, 2, "2", 3, None])},
        optional={
            "files": JSON | st.dictionaries(st.text(max_size=6), MARK, max_size=3),
            "journal": JSON | st.dictionaries(st.text(max_size=6), JSON, max_size=3),
        },
    ),
)
FINDING = st.fixed_dictionaries(
    {},
    optional={
        "pattern": st.sampled_from(["oauth-invalid-client", "nope"]) | JSON,
        "open": JSON, "count": JSON, "open_accounts": JSON, "accounts": JSON, "title": JSON,
        "severity": st.sampled_from(["high", "bogus"]) | JSON, "fields": JSON, "status": JSON,
    },
)  # fmt: skip
ACCOUNT = st.dictionaries(st.sampled_from(["account", "failing"]), JSON)
BASELINE = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"findings": st.lists(FINDING, max_size=3) | JSON},
        optional={
            "accounts": st.lists(ACCOUNT, max_size=2) | JSON,
            "eelogs": JSON,
        },
    ),
)


def _as_file(value: Any, raw: bytes | None, cut: int | None) -> bytes:
    data = raw if raw is not None else json.dumps(value).encode()
    return data[:cut] if cut is not None else data


@pytest.fixture(scope="module")
def small_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    log = tmp_path_factory.mktemp("r") / "small.log"
    lines = (SAMPLES / "emailengine.log").read_text().splitlines()[:400]
    log.write_text("\n".join(lines) + "\n")
    return analyze([Input(name=str(log), path=log)], Analysis(CATALOG))


@examples(80)
@given(STATE, st.none() | st.binary(max_size=60), st.none() | st.integers(0, 80))
def test_any_state_file_loads_or_is_an_error(
    tmp_path_factory: pytest.TempPathFactory, value: Any, raw: bytes | None, cut: int | None
) -> None:
    folder = tmp_path_factory.mktemp("s")
    log, state_file = folder / "x.log", folder / "state.json"
    log.write_text(RECORD + "\n")
    state_file.write_bytes(_as_file(value, raw, cut))
    try:
        state = load_state(state_file)
    except EelogsError as exc:
        assert exc.hint and str(state_file) in exc.message
        return
    inputs = plan_inputs([Input(name=str(log), path=log)], state)
    progress: dict[str, Progress] = {}
    list(read_entries(inputs, progress))
    save_state(state_file, next_state(state, inputs, progress))
    assert load_state(state_file)["version"] == 2


@examples(80)
@given(BASELINE, st.none() | st.binary(max_size=60), st.none() | st.integers(0, 80))
def test_any_baseline_loads_and_renders_or_is_an_error(
    tmp_path_factory: pytest.TempPathFactory,
    small_report: dict[str, Any],
    value: Any,
    raw: bytes | None,
    cut: int | None,
) -> None:
    path = tmp_path_factory.mktemp("b") / "baseline.json"
    path.write_bytes(_as_file(value, raw, cut))
    try:
        baseline = load_baseline(path)
    except EelogsError as exc:
        assert exc.hint and str(path) in exc.message
        return
    if baseline is None:
        return
    report = copy.deepcopy(small_report)
    apply_baseline(report, baseline, str(path))
    report["input"]["warnings"] = []
    report["eelogs"] = {"version": "t", "generated": "t", "window": {}, "accounts": [],
                        "providers": [], "redacted": True, "pseudonymized": False}  # fmt: skip
    for fmt in Format:
        render(report, CATALOG, fmt)


@examples(3, 100)
@given(st.sampled_from(["--state", "--baseline"]), STATE | BASELINE, st.none() | st.integers(0, 40))
def test_state_and_baseline_files_through_the_cli(
    tmp_path_factory: pytest.TempPathFactory, option: str, value: Any, cut: int | None
) -> None:
    path = tmp_path_factory.mktemp("c") / "file.json"
    path.write_bytes(_as_file(value, None, cut))
    result = cli(["analyze", str(SAMPLES / "emailengine.log"), option, str(path)])
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 2), result.stderr[-2000:]
    if result.returncode == 2:
        assert_error_hint(result, str(path))


# ---- one regression test per cause (issue 20's list, numbered as in the task) --------


def test_1_deep_nesting_is_walked_within_bounds(tmp_path: Path) -> None:
    deep = RECORD[:-1] + ',"err":{"message":"x","tokenRequest":' + _nested(990) + "}}"
    too_deep = RECORD[:-1] + ',"data":' + _nested(1100) + "}"
    path = tmp_path / "deep.log"
    path.write_text(deep + "\n" + too_deep + "\n")
    rows = [json.loads(line) for line in cli(["classify", str(path)]).stdout.splitlines()]
    assert rows[0]["pattern"] == "oauth-refresh-failed"
    assert rows[1]["reason"] == "JSON nested deeper than 1024 levels"
    report = report_of(str(path))
    assert (report["input"]["records"], report["input"]["unparsed"]) == (1, 1)


def test_2_a_truncated_zst_warns_instead_of_ending_quietly(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "good.log").write_text(RECORD + "\n")
    blob = _archive("zst", 300)
    (folder / "half.log.zst").write_bytes(blob[: len(blob) // 2])
    result = cli(["analyze", str(folder)])
    assert result.returncode == 0
    assert "half.log.zst: " in result.stderr and "truncated" in result.stderr


STATES = [
    '{"version":1,"files":[]}',
    '{"version":2,"files":{"1:2":"x"}}',
    '{"version":2,"files":{"1:2":{"line":0,"inode":5}}}',
    '{"version":2,"files":{"1:2":{"offset":-5,"line":0,"inode":5}}}',
    '{"version":2,"files":{"1:2":{"offset":"5","line":0,"inode":5}}}',
    '{"version":2,"files":{"1:2":{"offset":99999999999999999999999,"line":0,"inode":5}}}',
    '{"version":2,"journal":[]}',
    '{"version":2,"files":{}, "journal":{"u":5}}',
    "[1, 2]",
    '{"version":2,"files":{',
    "not json at all",
]


@pytest.mark.parametrize("text", STATES)
def test_3_a_damaged_state_file_is_an_error_naming_it(tmp_path: Path, text: str) -> None:
    state = tmp_path / "state.json"
    state.write_text(text)
    with pytest.raises(EelogsError) as caught:
        load_state(state)
    assert str(state) in caught.value.message and caught.value.hint


def test_3_the_cli_says_a_state_file_is_damaged(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(STATES[0])
    result = cli(["analyze", str(SAMPLES / "emailengine.log"), "--state", str(state)])
    assert_error_hint(result, str(state), '"files" is a list')


BASELINES = [
    '{"findings":[{"open":true}]}',
    '{"findings":{}}',
    '{"findings":[{"pattern":"x","count":"5"}]}',
    '{"findings":[{"pattern":"x","open_accounts":"abc"}]}',
    '{"findings":[],"accounts":"x"}',
    "not json",
    '{"title":"a report of something else"}',
]


@pytest.mark.parametrize("text", BASELINES)
def test_3_a_damaged_baseline_is_an_error_naming_it(tmp_path: Path, text: str) -> None:
    baseline = tmp_path / "latest.json"
    baseline.write_text(text)
    with pytest.raises(EelogsError) as caught:
        load_baseline(baseline)
    assert str(baseline) in caught.value.message and caught.value.hint


def test_3_the_cli_says_a_baseline_is_damaged(tmp_path: Path) -> None:
    baseline = tmp_path / "latest.json"
    baseline.write_text(BASELINES[0])
    result = cli(["analyze", str(SAMPLES / "emailengine.log"), "--baseline", str(baseline)])
    assert_error_hint(result, str(baseline), 'no "pattern"')
    assert "--templates" not in result.stderr


def test_3_a_failing_shipped_template_does_not_blame_templates(
    small_report: dict[str, Any],
) -> None:
    broken = {**small_report, "findings": [{"pattern": "x"}]}
    with pytest.raises(OutputError) as caught:
        render(broken, CATALOG, Format.TEXT)
    assert "--templates" not in (caught.value.hint or "")


def test_4_an_overflowing_since_is_an_error() -> None:
    for since in ("-99999999999d", "+99999999999w", "@99999999999999999999"):
        with pytest.raises(EelogsError):
            timespec.resolve(since)
    result = cli(["analyze", str(SAMPLES / "emailengine.log"), "--since", "-99999999999d"])
    assert_error_hint(result, "-99999999999d")


def _evil_pattern(folder: Path) -> None:
    evil = pattern_toml("my-pattern", "\"msg|re\" = '''^(a|a)*$'''", '{"level":40,"msg":"aaaa"}')
    (folder / "my-pattern.toml").write_text(evil)


def test_5_a_catastrophic_regex_is_given_up_and_said_in_every_format(tmp_path: Path) -> None:
    _evil_pattern(tmp_path)
    log = tmp_path / "x.log"
    # distinct lines: identical ones are one signature, evaluated (and timed out) once
    log.write_text("".join(
        f'{{"level":40,"time":{1795420800000 + i},"msg":"{"a" * (60 + i)}!"}}\n'
        for i in range(40)
    ))  # fmt: skip
    saved = tmp_path / "r.json"
    result = cli(["analyze", "--patterns", str(tmp_path), str(log), "--save-json", str(saved)])
    assert result.returncode == 0, result.stderr
    assert "pattern my-pattern was given up" in result.stderr
    assert "pattern my-pattern was given up" in result.stdout  # the text report
    report = json.loads(saved.read_text())
    # 3 timeouts at most (fewer when slow searches used up the budget first), not 40
    assert 1 <= report["input"]["regex_timeouts"]["my-pattern"] <= 3
    assert list(report["input"]["abandoned_patterns"]) == ["my-pattern"]
    assert all("my-pattern was given up" in text for text in all_formats(report).values())
    classify = cli(["classify", "--patterns", str(tmp_path), str(log)])
    assert "my-pattern was given up" in classify.stderr


def test_6_lone_braces_are_read_in_linear_time(tmp_path: Path) -> None:
    path = tmp_path / "braces.log"
    # before the fix 10,000 of these took about a minute; now about a second. The timeout
    # is a hang detector, 30 times what it takes
    path.write_text("{\n" * 20_000 + _PRETTY + "\n" + RECORD + "\n")
    result = cli(["analyze", "--format", "json", str(path)], timeout=30)
    report = json.loads(result.stdout)
    assert report["input"]["records"] == 2  # the pretty record after them is still found
    assert report["input"]["unparsed"] == 20_000


def _sample_lines(count: int) -> list[str]:
    return (SAMPLES / "emailengine.log").read_text().splitlines()[:count]


def test_7_a_file_rewritten_in_place_past_the_offset_is_read_again(tmp_path: Path) -> None:
    log, state = tmp_path / "ee.log", tmp_path / "state.json"
    lines = _sample_lines(300)
    log.write_text("\n".join(lines[:100]) + "\n")
    assert report_of(str(log), "--state", str(state))["input"]["records"] == 100
    # copytruncate then new lines: same inode, same first bytes, longer than before
    with log.open("r+") as handle:
        handle.truncate(0)
        handle.write("\n".join(lines[:10] + lines[150:300]) + "\n")
    result = cli(["analyze", "--format", "json", str(log), "--state", str(state)])
    assert json.loads(result.stdout)["input"]["records"] == 160
    assert "was rewritten since the last run" in result.stderr


def test_8_a_second_run_on_a_locked_state_waits_then_fails(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with open(tmp_path / "state.json.lock", "ab") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        result = cli(["analyze", str(SAMPLES / "emailengine.log"), "--state", str(state)],
                     env={"EELOGS_STATE_WAIT": "0.5"})  # fmt: skip
    assert_error_hint(result, "another eelogs run holds the state file")
    assert not state.exists()


def test_9_a_bom_keeps_the_first_record_everywhere(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + RECORD.encode() + b"\n"
    (tmp_path / "a.log").write_bytes(data)
    (tmp_path / "b.log.gz").write_bytes(gzip.compress(data))
    (tmp_path / "c.log.zst").write_bytes(zstandard.ZstdCompressor().compress(data))
    assert report_of(str(tmp_path))["input"]["records"] == 3
    assert report_of("-", stdin=data)["input"]["records"] == 1
    entry = {"MESSAGE": "\ufeff" + RECORD, "__REALTIME_TIMESTAMP": "1795420800000000"}
    assert report_of("-", stdin=json.dumps(entry).encode())["input"]["records"] == 1


def test_10_a_fifo_is_read_as_a_stream(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def write() -> None:
        with contextlib.suppress(BrokenPipeError), open(fifo, "wb") as handle:
            handle.write((RECORD + "\n").encode())

    writer = threading.Thread(target=write, daemon=True)  # blocks until a reader opens it
    writer.start()
    result = cli(["analyze", "--format", "json", str(fifo)])
    if writer.is_alive():  # eelogs never opened it: let the writer go
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    writer.join(timeout=10)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["input"]["records"] == 1
    shell = f"{' '.join(eelogs_command())} classify <(printf '%s\\n' '{RECORD}')"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=False,
                          env={**os.environ, **PINNED}, timeout=60)  # fmt: skip
    assert json.loads(done.stdout)["account"] == "a", done.stderr


def test_11_a_missing_templates_folder_is_an_error(tmp_path: Path) -> None:
    result = cli(["analyze", str(SAMPLES / "emailengine.log"), "--templates", str(tmp_path / "no")])
    assert_error_hint(result, "templates")


def test_12_an_over_long_line_is_unparsed_in_bounded_memory(tmp_path: Path) -> None:
    path, state = tmp_path / "long.log", tmp_path / "state.json"
    with path.open("wb") as handle:
        handle.write(RECORD.encode() + b"\n" + b'{"msg":"' + b"x" * (LINE_MAX + 10) + b'"}\n')
        handle.write(RECORD.encode() + b"\n")
    report = report_of(str(path), "--state", str(state))
    assert (report["input"]["records"], report["input"]["unparsed"]) == (2, 1)
    assert report["input"]["unparsed_reasons"] == {LINE_TOO_LONG: 1}
    # the offset saved is the file's own, past the cut line: only the new line is read
    with path.open("ab") as handle:
        handle.write(RECORD.encode() + b"\n")
    assert report_of(str(path), "--state", str(state))["input"]["lines"] == 1


def test_12_a_stream_with_no_newline_stays_within_the_memory_ceiling() -> None:
    # as /dev/zero would be: one endless line
    # (200 MB held whole at ~9x its size went far past it before the fix)
    endless = subprocess.Popen(["head", "-c", str(200 << 20), "/dev/zero"], stdout=subprocess.PIPE)
    result = cli(["classify", "-"], stream=endless.stdout)
    endless.wait()
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["reason"] == LINE_TOO_LONG


@pytest.mark.parametrize("option", ["--state", "--baseline"])
def test_12_state_and_baseline_are_read_within_a_cap(option: str) -> None:
    result = cli(["analyze", str(SAMPLES / "emailengine.log"), option, "/dev/zero"])
    assert_error_hint(result, "/dev/zero", "larger than 64 MiB")


@examples(100)
@given(
    st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=20), st.data()
)
def test_watch_splits_chunks_into_the_same_lines(lines: list[bytes], data: st.DataObject) -> None:
    stream = b"\xef\xbb\xbf" + b"".join(line + b"\n" for line in lines)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    splitter, got = LineSplitter(), []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got += splitter.feed(stream[start:end])
    assert got == lines and splitter.rest() == b""


def test_12_watch_cuts_an_over_long_line() -> None:
    splitter = LineSplitter()
    chunk = b"x" * 65536
    got = [line for _ in range(LINE_MAX // len(chunk) + 2) for line in splitter.feed(chunk)]
    got += splitter.feed(b"tail\nnext\n")
    assert [len(line) for line in got] == [LINE_MAX + len(LINE_CUT_MARK), 4]
