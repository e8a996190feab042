"""The columnar fast path for inputs of plain pino JSON lines (files, stdin, .gz, .zst).

A block of lines becomes polars columns (fastcols.py), a block ahead in a worker thread.
Vectorised tests pick the lines that need the per-line path: warnings and errors, anything a
pattern could match (fastplan.py), odd shapes.
The other lines, the healthy chatter, are counted in bulk; only their state effects are
replayed, compressed and in input order, and their last recovery signals. Both paths feed one
Collector, and tests prove the reports equal to the per-line path's.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import polars as pl

from eelogs.collect import Collector
from eelogs.fastbulk import Clues, Gathered
from eelogs.fastcols import Columns, block_columns, block_texts, count_lines
from eelogs.fastplan import LINE, MSG, SEP, STATE_KEY, STATE_TOKEN, FastPlan
from eelogs.framing import Payload, _Deframer
from eelogs.match import Classifier
from eelogs.parse import Record, parse_payload
from eelogs.sources import Input, Progress, ProgressBar, open_binary
from eelogs.states import recovery_kind

if TYPE_CHECKING:
    from eelogs.pipeline import Window

BLOCK_BYTES = 12 << 20  # two in flight (one read ahead): 16 MB went over 300 MB at 10M lines


@dataclass
class FastRun:
    """One input's pass: the shared collector and classifier plus the per-input deframer."""

    source: str
    collector: Collector
    classifier: Classifier
    window: Window
    plan: FastPlan
    deframer: _Deframer = field(init=False)
    clues: Clues = field(default_factory=Clues)
    gathered: Gathered = field(init=False)
    fast_lines: int = 0
    # accounts a block left past what activity could change (fastpath._settle)
    settled: pl.Series = field(default_factory=lambda: pl.Series("account", [], pl.String))

    def __post_init__(self) -> None:
        self.deframer = _Deframer(self.source, None)  # fast inputs carry no account hint
        self.gathered = Gathered(self.source)


def fast_eligible(inp: Input) -> bool:
    """Inputs the fast path reads: byte streams of the log itself, no wrapper command."""
    return not inp.argv and inp.account_hint is None


def read_fast(inp: Input, run: FastRun, progress: Progress) -> None:
    """Read one input in blocks of whole lines and feed `run.collector`."""
    progress.offset, progress.line = inp.start_offset, inp.start_line
    bar = ProgressBar(inp)
    try:
        _read_blocks(inp, run, progress, bar)
    finally:
        bar.close()
    run.gathered.flush(run.collector)
    for payload in run.deframer.finish():
        _payload(run, payload)


def _read_blocks(inp: Input, run: FastRun, progress: Progress, bar: ProgressBar) -> None:
    """Blocks are read and turned into columns one ahead, in a thread (polars lets go of the
    GIL), while this one feeds the previous block to the collector."""
    with open_binary(inp, progress) as stream, ThreadPoolExecutor(max_workers=1) as pool:
        if inp.start_offset:
            stream.seek(inp.start_offset)
        reader = _LineBlocks(stream, inp.whole_lines_only, run.plan)
        ahead = pool.submit(reader.prepared)
        while (got := ahead.result()) is not None:
            ahead = pool.submit(reader.prepared)
            _block(run, progress, bar, *got)
            del got


# the block's columns, or its lines (or bytes) for the per-line path; its size; its lines
Prepared = tuple[Columns | pl.Series | bytes, int, int]


class _LineBlocks:
    """Blocks of whole lines; the last line of the input may have no newline (one line,
    unless the input is a growing file, which waits for it)."""

    def __init__(self, stream: IO[bytes], whole_lines_only: bool, plan: FastPlan) -> None:
        self.stream, self.whole_lines_only, self.plan = stream, whole_lines_only, plan
        self.tail = b""
        self.rewinds = _rewinds(stream)

    def prepared(self) -> Prepared | None:
        """The next block as columns, or as its lines when it goes line by line."""
        got = self._next()
        if got is None:
            return None
        block, size = got
        del got
        # a few lines at the end of a growing file cost less line by line than polars
        small = size < min(256 << 10, BLOCK_BYTES // 4)
        texts = None if small else block_texts(block, size)
        if texts is None:  # _block reads the first `lines` lines of these bytes
            return block, size, count_lines(block, size)
        del block  # the rows hold the text now
        columns = block_columns(self.plan, texts)
        return (texts["line"] if columns is None else columns), size, texts.height

    def _next(self) -> tuple[bytes, int] | None:
        """The next block: bytes that start with `size` bytes of whole lines (what follows
        them, if anything, is part of a line); at the end, a last line without newline."""
        while chunk := self.stream.read(BLOCK_BYTES):
            cut = chunk.rfind(b"\n") + 1
            if not cut:  # no line ends in this chunk
                self.tail += chunk
                continue
            head = self.tail
            if self.rewinds:  # the part line is read again with the next block
                self.stream.seek(cut - len(chunk), io.SEEK_CUR)
                self.tail = b""
                if not head:  # no copy: 12 MB of fresh memory per block cost 0.3 s per GB
                    return chunk, cut
            else:
                self.tail = chunk[cut:]
            # one copy: the head and the chunk's whole lines, joined
            block = b"".join((head, memoryview(chunk)[:cut]))
            return block, len(block)
        if self.tail and not self.whole_lines_only:
            tail, self.tail = self.tail, b""
            return tail, len(tail)
        return None


def _rewinds(stream: IO[bytes]) -> bool:
    """Whether seeking back is cheap: a plain file (or stdin redirected from one), not a
    pipe and not a decompressor (gzip would start again from the beginning)."""
    raw = getattr(stream, "raw", None)
    return isinstance(stream, io.BufferedReader) and isinstance(raw, io.FileIO) and raw.seekable()


def _block(
    run: FastRun,
    progress: Progress,
    bar: ProgressBar,
    prepared: Columns | pl.Series | bytes,
    size: int,
    lines: int,
) -> None:
    first_line = progress.line + 1
    if isinstance(prepared, bytes):
        texts = [raw.decode("utf-8", "replace") for raw in prepared.split(b"\n")[:lines]]
    elif isinstance(prepared, pl.Series):  # the lines, read by polars
        texts = [line or "" for line in prepared]
    elif run.deframer.pretty:  # a record spread over lines goes on: this block goes per-line
        texts = [line or "" for line in prepared[0]["line"]]
    else:
        texts = []
        _fast(run, *prepared, first_line)
    if texts:  # lines that went per-line may touch any account
        run.settled = run.settled.clear()
    for n, text in enumerate(texts, first_line):
        _python_line(run, n, text.rstrip("\r"))
    progress.offset += size
    progress.line += lines
    bar.update(progress.offset)


def _fast(run: FastRun, df: pl.DataFrame, rich: pl.DataFrame, first_line: int) -> None:
    time = pl.col("time")
    df = df.with_columns(py=~pl.col("eligible") | _routed(run.plan, df))
    ambiguous, rich = run.clues.settle(df, rich)
    df = df.with_columns(py=pl.col("py") | pl.col("row").is_in(ambiguous.implode()))
    odd, variants = _variants(run.plan, df)
    df = df.with_columns(py=pl.col("py") | pl.col("row").is_in(odd.implode()))
    tokens = pl.col("row").replace_strict(
        variants["row"], variants["tokens"], default=None, return_dtype=pl.String
    )  # a lookup, not a join: a join would copy every column
    df = df.with_columns(tokens=tokens, fast=~pl.col("py"))
    df = df.with_columns(admitted=pl.col("fast") & _admits(run.window))
    df = df.with_columns(
        prior=pl.when("admitted").then(time).otherwise(0).cum_max().shift(1, fill_value=0),
        barrier=(pl.col("py") & ~pl.col("known")).cum_sum(),
    )
    fast = df.lazy().filter("admitted").select(*_FAST_COLUMNS).collect()
    run.fast_lines += fast.height
    run.gathered.filtered += df.select((pl.col("fast") & ~pl.col("admitted")).sum()).item()
    if run.window.accounts:  # the names an --account typo is compared with (commands.py)
        outside = df.filter(pl.col("fast") & ~pl.col("admitted"))["account"]
        run.collector.filtered_accounts.update(outside.drop_nulls().unique().to_list())
    run.gathered.add(fast, rich, first_line)
    _replay(run, df, fast, first_line)


# what Gathered.add and _replay read of the admitted fast rows
_FAST_COLUMNS = ("row", "account", "msg", "time", "level", "tokens", "barrier")


def _variants(plan: FastPlan, df: pl.DataFrame) -> tuple[pl.Series, pl.DataFrame]:
    """Conditional state messages (`Connection closed`) on fast rows: their STATE_KEYS tokens
    pick the probe that replays them. Rows with odd tokens go per-line (the first result)."""
    tokens = LINE.str.extract_all(STATE_TOKEN)
    rows = (
        df.lazy()
        .filter(~pl.col("py") & MSG.is_in(plan.conditional))
        .select(
            "row",
            "msg",
            tokens.list.sort().list.join(SEP).alias("tokens"),
            ((LINE.str.count_matches(STATE_KEY) != tokens.list.len()) | pl.col("brace")).alias(
                "odd"
            ),
        )
        .collect()
    )
    keys = rows.filter(~pl.col("odd")).select("msg", "tokens").unique()
    verdicts = [plan.variant(*key) for key in keys.iter_rows()]
    kinds = ["route" if v is True else "skip" if v is False else "replay" for v in verdicts]
    rows = rows.join(keys.with_columns(kind=pl.Series(kinds, dtype=pl.String)),
                     on=["msg", "tokens"], how="left")  # fmt: skip
    odd = rows.filter(pl.col("odd") | (pl.col("kind") == "route"))["row"]
    replay = rows.filter(~pl.col("odd") & (pl.col("kind") == "replay"))
    return odd, replay.select("row", "tokens")


def _routed(plan: FastPlan, df: pl.DataFrame) -> pl.Series:
    """True for eligible rows the per-line path must see."""
    msgs = df.select(MSG.filter("eligible").unique())["msg"]
    told = MSG.is_in(plan.telling(msgs))
    columns = ["msg", "level", *(mask.meta.output_name() for mask in plan.found)]
    # lazy, so that only the columns selected are filtered (not every line's text); the
    # messages with ids that come forever are mostly not telling: keyed as null, one key
    maybe = (
        df.lazy()
        .filter(pl.col("eligible") & (told | pl.col("hit")))
        .select("row", pl.when(told).then(MSG).alias("msg"), "level", *plan.found)
        .collect()
    )
    keys = maybe.select(columns).unique()
    routed = keys.filter(
        pl.Series([plan.must_route(*key) for key in keys.iter_rows()], dtype=pl.Boolean)
    )
    flagged = maybe.join(routed, on=columns, how="semi", nulls_equal=True)["row"]
    return df["row"].is_in(flagged.implode())


def _admits(window: Window) -> pl.Expr:
    test = pl.lit(True)
    if window.since_ms is not None:
        test &= pl.col("time") >= window.since_ms
    if window.until_ms is not None:
        test &= pl.col("time") < window.until_ms
    if window.accounts:
        test &= pl.col("account").is_in(sorted(window.accounts))
    return test.fill_null(False)  # a row without an account is outside an account filter


def _replay(run: FastRun, df: pl.DataFrame, fast: pl.DataFrame, first_line: int) -> None:
    """Per-line rows and the fast rows' state effects (those that can change something),
    merged in input order."""
    plan = run.plan
    tokens = pl.col("tokens")
    effects = fast.filter(
        pl.col("account").is_not_null() & (MSG.is_in(list(plan.effects)) | tokens.is_not_null())
    ).select(
        *("row", "account", "msg", "time", "barrier", "tokens"),
        pl.when(tokens.is_null())
        .then(MSG.replace_strict(plan.effects, default=None, return_dtype=pl.String))
        .otherwise(pl.concat_str(MSG, tokens, separator=SEP))
        .alias("effect"),
    )
    # the per-line rows of each account (they are few), numbered: an effect's `own` is how
    # many came before it
    own = (
        df.lazy()
        .filter(pl.col("py") & pl.col("account").is_not_null())
        .select("row", "account")
        .collect()
        .with_columns(own=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("account"))
    )
    effects = effects.join_asof(
        own,
        on="row",
        by="account",
        check_sortedness=False,  # both are in row order
    ).with_columns(pl.col("own").fill_null(0))
    kept = _kept(run, effects, own, df.select(pl.col("barrier").max()).item())
    events = kept.select("row", "account", MSG, "time", "tokens").iter_rows()
    python = df.lazy().filter("py").select("row", "line", "prior").collect().iter_rows()
    signal_lines = run.gathered.line_signals
    collector = run.collector
    for item in _merge(python, events):
        if len(item) == 3:  # a per-line row
            row, line, prior = item
            collector.advance_clock(prior)
            for record in _python_line(run, first_line + row, line or ""):
                signal = recovery_kind(record)
                if signal:
                    signal_lines[(record.account, signal)] = first_line + row
                    signal_lines[(None, signal)] = first_line + row
        else:
            _, account, msg, t, variant = item
            probe = plan.probes[msg] if variant is None else plan.variant(msg, variant)
            assert isinstance(probe, Record)
            collector.replay_state(account, probe, t)


_SETTLING = ("healthy", "connected")  # after these, activity (healthy) changes nothing


def _kept(run: FastRun, effects: pl.DataFrame, own: pl.DataFrame, barrier: int) -> pl.DataFrame:
    """The effects that can change an account's state. Within a group (one account, no
    per-line row between that could touch it): a second `connecting` or `syncing` in a row
    changes nothing, of a run of `connected` only the last moves the clock (the first the
    state), activity after a login or activity changes nothing, and neither does the first
    activity of an account `run.settled` names. Other runs act like their first and last."""
    effect, prev, nxt = pl.col("effect"), pl.col("prev"), pl.col("next")
    group = ["account", "barrier", "own"]
    clean = (pl.col("barrier") == 0) & (pl.col("own") == 0)
    settled = clean & pl.col("account").is_in(run.settled.implode())
    keep = (
        pl.when(effect == "healthy")
        .then(~pl.when(prev.is_null()).then(settled).otherwise(prev.is_in(_SETTLING)))
        .when(effect.is_in(["connecting", "syncing"]))
        .then((prev != effect).fill_null(True))
        .otherwise((prev != effect).fill_null(True) | (nxt != effect).fill_null(True))
    )
    # neighbours within a group: sorted, a row's neighbour belongs to it when the keys agree
    effects = effects.sort([*group, "row"])
    same = [pl.all_horizontal(pl.col(k) == pl.col(k).shift(n) for k in group) for n in (1, -1)]
    effects = effects.with_columns(
        prev=pl.when(same[0]).then(effect.shift(1)), next=pl.when(same[1]).then(effect.shift(-1))
    )
    _settle(run, effects, own, barrier)
    return effects.filter(keep).sort("row")


def _settle(run: FastRun, effects: pl.DataFrame, own: pl.DataFrame, barrier: int) -> None:
    """Accounts whose state the block leaves past what activity could change (after a login
    or activity, with no per-line row of theirs and no barrier later in the block). `own`:
    the block's numbered per-line rows with an account; `barrier`: the block's last one."""
    rows = own.group_by("account").len(name="rows")
    last = (
        effects.group_by("account")
        .agg(pl.col("effect", "barrier", "own").sort_by("row").last())
        .join(rows, on="account", how="left")
    )
    now = last.filter(
        pl.col("effect").is_in(_SETTLING)
        & (pl.col("barrier") == barrier)
        & (pl.col("own") == pl.col("rows").fill_null(0))
    )["account"]
    before = run.settled if not barrier else run.settled.clear()
    touched = pl.concat([last["account"], rows["account"]])
    run.settled = pl.concat([before.filter(~before.is_in(touched.implode())), now])


def _merge(a: Iterator[tuple[Any, ...]], b: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    nxt_a, nxt_b = next(a, None), next(b, None)
    while nxt_a is not None or nxt_b is not None:
        if nxt_b is None or (nxt_a is not None and nxt_a[0] < nxt_b[0]):
            yield nxt_a  # type: ignore[misc]
            nxt_a = next(a, None)
        else:
            yield nxt_b
            nxt_b = next(b, None)


def _python_line(run: FastRun, lineno: int, text: str) -> list[Record]:
    """The per-line path for one line; the records it added (for signal order)."""
    added = (_payload(run, payload) for payload in run.deframer.feed(lineno, text))
    return [record for record in added if record is not None]


def _payload(run: FastRun, payload: Payload) -> Record | None:
    entry = parse_payload(payload)
    return run.collector.feed(entry, run.classifier.classify, run.window.admits)
