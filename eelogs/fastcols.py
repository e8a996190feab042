"""A block of log lines as the columns the fast path routes by, built a block ahead.

polars splits the block into lines; vectorised tests find the rows in pino's own shape, decode
their msg and account as JSON (exactly, escapes and all), and mark what the per-line path must
decide: rows that are not eligible, and rows whose account is not known before parsing.
Nothing here depends on the run's state.
"""

from __future__ import annotations

import io

import orjson
import polars as pl

from eelogs.fastbulk import rich_rows
from eelogs.fastplan import LINE, MSG, FastPlan, any_of

MIN_FAST_SHARE = 0.5  # below this a block (journald prefixes, Docker) goes line by line
_STATEFUL = ['"__CURSOR"', '"__REALTIME_TIMESTAMP"', '"MESSAGE"', '{"log":']

Columns = tuple[pl.DataFrame, pl.DataFrame]  # a block's rows, and its rich rows


def block_texts(block: bytes, size: int) -> pl.DataFrame | None:
    """The lines in the block's first `size` bytes (part of a line may follow) as a column,
    without their line ends; or None when polars reads them otherwise (a control character
    that splits a line, a lone carriage return)."""
    df = _read_lines(block)  # in place: no copy, and no count of the newlines
    if df is not None:
        df = df.head(df.height - (size < len(block)))  # the part line, if any
        if _covers(df, block, size):
            return df
    # invalid UTF-8 (replaced), or what polars may do some day: counted and compared, once
    # the part line (which may be what failed) is cut off
    if size < len(block):
        block = block[:size]
        df = _read_lines(block)
    return df if df is not None and df.height == count_lines(block, size) else None


def count_lines(block: bytes, size: int) -> int:
    """Lines in the block's first `size` bytes, the last one maybe without its newline."""
    return block.count(b"\n", 0, size) + (block[size - 1 : size] not in (b"\n", b""))


def _read_lines(block: bytes) -> pl.DataFrame | None:
    try:
        return pl.read_csv(
            io.BytesIO(block),
            has_header=False,
            separator="\x1f",  # JSON escapes control characters, so no log line holds one
            quote_char=None,
            new_columns=["line"],
            schema={"line": pl.String},
            encoding="utf8-lossy",
        )
    except pl.exceptions.PolarsError:
        return None


def _covers(df: pl.DataFrame, block: bytes, size: int) -> bool:
    """Whether the rows are exactly the block's first `size` bytes, each with its newline:
    their text, a newline each and the carriage returns polars drops before one, and no
    newline inside a row. A line split or joined otherwise, or invalid UTF-8 (replaced),
    changes the sum or leaves a newline in a row."""
    line = pl.col("line")
    text, joined = df.select(
        line.str.len_bytes().sum().alias("text"),
        line.str.contains("\n", literal=True).any().alias("joined"),
    ).row(0)
    crlf = block.count(b"\r\n", 0, size) if block.find(b"\r", 0, size) >= 0 else 0
    return not joined and int(text or 0) + df.height + crlf == size


def block_columns(plan: FastPlan, texts: pl.DataFrame) -> Columns | None:
    """The block as rows with the fields routing needs, and its rich rows; or None when it
    must go line by line. Nothing here depends on the run's state: it runs a block ahead."""
    df = _decoded(texts.with_row_index("row"), plan)
    fast_share = float(df.select(pl.col("eligible").mean()).item() or 0.0)
    other = LINE.filter(~pl.col("eligible"))
    stateful = df.select(
        (other.str.strip_chars().str.ends_with("{") | other.str.contains_any(_STATEFUL)).any()
    ).item()
    if fast_share < MIN_FAST_SHARE or stateful:
        return None
    df = df.with_columns(known=_known()).with_columns(eligible=pl.col("known") & _as_parsed())
    # the binding and the call both name the account: fine when they agree, as they do;
    # otherwise orjson's last and polars' first differ, and the account is not known
    dup = LINE.str.extract_all(r'"account":"[^"\\]*"')
    # two steps: polars would fold two filters into one and cut up every line of the block
    repeated = (
        df.lazy()
        .filter(pl.col("known") & (pl.col("n_account") >= 2))
        .select("row", "line", "n_account")
        .collect()
    )
    odd = repeated.filter((dup.list.n_unique() != 1) | (dup.list.len() != pl.col("n_account")))
    agree = ~pl.col("row").is_in(odd["row"].implode())
    df = df.with_columns(known=pl.col("known") & agree, eligible=pl.col("eligible") & agree)
    return df, rich_rows(df)


def _known() -> pl.Expr:
    """Rows whose account parse.py will read is known before parsing: valid pino-shaped JSON
    with no account key, or a top-level string one (block_columns checks that repeats agree),
    or one nested string one only (an API request's params: no account). A per-line row of
    this kind touches that account only; others may touch any. Keys spelt with escapes
    escape these counts."""
    acc, count, text = pl.col("account"), pl.col("n_account"), pl.col("account_text")
    return (pl.col("eligible") & ~pl.col("escaped")) & (
        (count == 0)
        | (acc.is_not_null() & (acc != "") & text)
        | ((count == 1) & acc.is_null() & text)
    )


def _as_parsed() -> pl.Expr:
    """Of rows with a known account (_known), those read exactly as parse.py reads them: a
    level it takes for a record and not a warning, a time in ms, one msg key (the top-level
    one) with a string."""
    return (
        pl.col("level").is_between(10, 39)
        & (pl.col("time") >= 10**12)
        & MSG.is_not_null()
        & (pl.col("n_msg") == 1)
        & pl.col("msg_text")
    )


_DECODED = pl.Struct({"msg": pl.String, "account": pl.String})
# json_decode holds about eight times its input while it works: it runs on slices of this
# many rows (about 300 kB of log), so a block's size does not set the peak memory; smaller
# slices also take fewer fresh pages from the allocator
DECODE_ROWS = 1024


def _decoded(df: pl.DataFrame, plan: FastPlan) -> pl.DataFrame:
    """The routing columns, with msg and account of pino-shaped rows decoded as JSON (escapes
    and all). A line that is not valid JSON fails its slice: then the bad ones are found with
    orjson (polars agrees with it but for lone surrogates, whose `\\u` escapes send a line
    per-line anyway) and count as not eligible."""
    df = df.with_columns(_eligible(), *_fields(plan))
    parts = [_decode_slice(part) for part in df.iter_slices(DECODE_ROWS)]
    return pl.concat(parts).unnest("decoded")


def _decode_slice(df: pl.DataFrame) -> pl.DataFrame:
    decode = pl.when("eligible").then(LINE).str.json_decode(_DECODED).alias("decoded")
    # most slices are all pino lines: decoded as they are, without a masked copy (7% less)
    whole = LINE.str.json_decode(_DECODED).alias("decoded")
    try:
        return df.with_columns(whole if df["eligible"].all() else decode)
    except pl.exceptions.PolarsError:
        valid = pl.Series([_valid_json(line) for line in df["line"]], dtype=pl.Boolean)
        df = df.with_columns(eligible=pl.col("eligible") & valid)
    try:
        return df.with_columns(decode)
    except pl.exceptions.PolarsError:  # polars refuses what orjson took: all go per-line
        return df.with_columns(eligible=pl.lit(False), decoded=pl.lit(None, _DECODED))


def _valid_json(line: str) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _eligible() -> pl.Expr:
    """Rows in pino's own shape: `{"level":NN,"time":<13 digits>,` … `}`."""
    return (
        LINE.str.starts_with('{"level":')
        & (LINE.str.slice(11, 8) == ',"time":')
        & (LINE.str.slice(32, 1) == ",")
        & LINE.str.ends_with("}")
    ).alias("eligible")


def _fields(plan: FastPlan) -> list[pl.Expr]:
    return [
        LINE.str.slice(9, 2).str.to_integer(strict=False).alias("level"),
        LINE.str.slice(19, 13).str.to_integer(strict=False).alias("time"),
        LINE.str.contains('"msg":"', literal=True).alias("msg_text"),
        LINE.str.contains('"account":"', literal=True).alias("account_text"),
        # an escape can spell any key, so any of them may be there
        LINE.str.contains(any_of(["\\u"])).alias("escaped"),
        LINE.str.count_matches(any_of(['"msg":'])).alias("n_msg"),
        LINE.str.count_matches(any_of(['"account":'])).alias("n_account"),
        # a `{` after the first: a nested object (or a brace in a string), so a key found
        # in the line may not be a top-level one
        (LINE.str.count_matches(any_of("{")) > 1).alias("brace"),
        (pl.lit(True) if plan.everything else LINE.str.contains(any_of(plan.hit_needles))).alias(
            "hit"
        ),
    ]
