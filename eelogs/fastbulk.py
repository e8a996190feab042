"""What fast-path rows add to the counts, gathered per block in polars and handed to the
Collector once per input.

Records per account and level, provider clues and auth methods (worked out by providers.py
once per distinct combination of the fields they read), and the last recovery signal of each
kind: last writer wins, by line number, against the per-line rows of the same input. Nothing
here depends on the order of rows within a block, so it all folds into small frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from eelogs.accountrules import (
    account_rules,
    clue_keys,
    clue_message_tests,
    recovery_messages,
    url_words,
)
from eelogs.collect import Bulk, Collector
from eelogs.fastplan import LINE, MSG, any_of, probe, token_object
from eelogs.providers import auth_method, provider_signals

# What the provider rules (patterns/_rules/providers.toml) read, derived from them.
_RULES = account_rules()
DATA_KEYS = clue_keys(_RULES)
MSG_TESTS, MSG_EQUALS = clue_message_tests(_RULES)
URL_WORDS = url_words(_RULES)
SIGNALS = recovery_messages(_RULES)

_KEY = r'"(?:' + "|".join(DATA_KEYS) + r')":'
_TOKEN = _KEY + r'(?:"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^,}\]]*)'
_JOIN = "\x1e"  # joins a line's tokens into its f key: JSON escapes it in a string
# a key after the line's second `{`, which opens an inner object (or sits in a string)
_AFTER_BRACE = r"^\{[^{]*\{(?s:.)*" + _KEY
# src and sub count only with a message passing one of MSG_TESTS (a server greeting, a
# LOGIN): alone they make no line worth a look. Without its opening quote a key is found
# several times faster; a line it finds by mistake (`"myurl":`) holds no token and adds nothing.
_KEY_NEEDLES = any_of(f'{key}":' for key in DATA_KEYS if key not in ("src", "sub"))
_WORDS = "|".join([*(f"(?:{source})" for source in MSG_TESTS), *(any_of([t]) for t in MSG_EQUALS)])
_COMBINATION = ["m", "c", "f"]


def _signature(msg: pl.Expr) -> list[pl.Expr]:
    """Which of the tests in providers.MSG_TESTS and MSG_EQUALS a message passes, as digits."""
    tests = (
        *(msg.str.contains(source) for source in MSG_TESTS),
        *(msg.eq(text) for text in MSG_EQUALS),
    )
    return [test.cast(pl.UInt8).cast(pl.String) for test in tests]


_CLUE = pl.Struct({"provider": pl.String, "weight": pl.Int64})
_TABLE: dict[str, pl.DataType] = {
    "m": pl.String(), "c": pl.String(), "f": pl.String(), "bad": pl.Boolean(),
    "clues": pl.List(_CLUE), "method": pl.String(),
}  # fmt: skip
_MEMO_LIMIT = 20_000  # greetings and URLs with ids make new keys forever: the memo is bounded
_FOLD_EVERY = 16  # blocks between folds of the gathered frames: memory stays flat


class Clues:
    """Provider clues and auth methods of fast rows, once per distinct combination of the
    fields they depend on: msg (when it passes one of MSG_TESTS), component (when it counts)
    and the DATA_KEYS tokens, normalised so that equal answers share a key."""

    def __init__(self) -> None:
        self._table = _table([])

    def settle(self, df: pl.DataFrame, rich: pl.DataFrame) -> tuple[pl.Series, pl.DataFrame]:
        """Of the rich rows (`rich_rows`) of fast rows, those whose fields are ambiguous (they
        go per-line), and the others with their clues and auth method."""
        fast = df.lazy().filter(~pl.col("py")).select("row")
        rich = rich.lazy().join(fast, on="row", how="semi").collect()
        nested = rich.filter(pl.col("f").is_null())["row"]
        rich = rich.drop_nulls("f")
        # here, not in rich_rows: this thread waits for the one that runs rich_rows
        rich = rich.join(_normalise(rich.select("f").unique()), on="f").drop("f")
        rich = rich.rename({"key": "f"})
        self._learn(rich.select(_COMBINATION).unique())
        rich = rich.join(self._table, on=_COMBINATION, how="left")
        return pl.concat([nested, rich.filter("bad")["row"]]), rich.filter(~pl.col("bad"))

    def _learn(self, keys: pl.DataFrame) -> None:
        new = keys.join(self._table, on=_COMBINATION, how="anti")
        if new.is_empty():
            return
        if self._table.height + new.height > _MEMO_LIMIT:
            self._table = _table([])
        # a message counts only through the tests providers.py makes on it (server greetings
        # carry ids): one evaluation per outcome of those tests
        new = new.with_columns(s=pl.concat_str(_signature(pl.col("m"))))
        once = new.unique(["s", "c", "f"], keep="first", maintain_order=True)
        answers = _table(list(once.select(_COMBINATION).iter_rows())).with_columns(once["s"])
        learnt = new.join(answers.drop(_COMBINATION[0]), on=["s", *_COMBINATION[1:]])
        # rebuilt from its rows: a join's strings may keep the whole block's buffers alive
        rows = learnt.select(list(_TABLE)).rows()
        self._table = pl.concat([self._table, pl.DataFrame(rows, schema=_TABLE, orient="row")])


def rich_rows(df: pl.DataFrame) -> pl.DataFrame:
    """The eligible rows holding a field provider clues or auth methods depend on, with their
    combination (m, c, f); rows whose fields are not all in the outer object have f null."""
    rich = (
        df.lazy()
        .filter(pl.col("eligible") & (MSG.str.contains(_WORDS) | LINE.str.contains(_KEY_NEEDLES)))
        .select(
            "row",
            "account",
            pl.when(MSG.str.contains(_WORDS)).then(MSG).otherwise(pl.lit("")).alias("m"),
            # auth_method reads the component only with a URL or an OAuth2 message
            pl.when(MSG.str.contains("OAuth2", literal=True) | LINE.str.contains('"url":'))
            .then(LINE.str.extract(r'"component"\s*:\s*"([^"]*)"', 1).fill_null(""))
            .otherwise(pl.lit(""))
            .alias("c"),
            LINE.str.extract_all(_TOKEN).list.join(_JOIN).alias("f"),
            "brace",
            LINE,
        )
        .collect()
    )
    # every field read sits in the outer object when no `{` opens before the last one
    # two steps: in one filter polars would run the regex on every rich row, not these few
    braced = rich.lazy().filter("brace").select("row", LINE.str.contains(_AFTER_BRACE).alias("in"))
    nested = braced.collect().filter("in")["row"]
    return rich.drop("brace", "line").with_columns(
        f=pl.when(pl.col("row").is_in(nested.implode())).then(None).otherwise(pl.col("f"))
    )


def _normalise(keys: pl.DataFrame) -> pl.DataFrame:
    """Fewer distinct combinations, same answers: a user name only counts by its domain
    (`_EMAIL_DOMAIN` starts at an `@`), a URL by its host unless URL_WORDS occur later."""
    fields = pl.col("f")
    url_rest = r'"url":"([^"\\/]*//[^"\\/]*/)[^"\\]*"'
    telling = r'"url":"[^"\\/]*//[^"\\/]*/[^"]*(?:' + "|".join(URL_WORDS) + ")"
    users = fields.str.replace_all(r'"(user|username)":"[^"@\\]*@', '"$1":"@')
    return keys.with_columns(
        pl.when(users.str.contains(telling))
        .then(users)
        .otherwise(users.str.replace(url_rest, '"url":"$1"'))
        .alias("key")
    )


def _account_clues(accounts: list[str]) -> pl.DataFrame:
    """What each account name alone says (its email domain)."""
    rows = [
        (account, provider, weight)
        for account in accounts
        for provider, weight in provider_signals(probe("", account=account))
    ]
    return pl.DataFrame(rows, schema=_EVIDENCE, orient="row")


def _table(keys: list[tuple[str, str, str]]) -> pl.DataFrame:
    rows = [(*key, *_evaluate(*key)) for key in keys]
    return pl.DataFrame(rows, schema=_TABLE, orient="row")


def _evaluate(msg: str, component: str, fields: str) -> tuple[bool, list[dict[str, Any]], Any]:
    """(ambiguous, clues, auth method) of one combination."""
    data = token_object(fields.split(_JOIN) if fields else [])
    if data is None or "\\" in component:
        return True, [], None
    record = probe(msg, data, account=None, component=component or None)
    clues = [{"provider": p, "weight": w} for p, w in provider_signals(record)]
    return False, clues, auth_method(record)


_EVIDENCE = {"account": pl.String, "provider": pl.String, "weight": pl.Int64}
_FOLDS: dict[str, Any] = {
    "accounts": lambda df: df.group_by("account").agg(
        pl.col("records").sum(), pl.col("first").min(), pl.col("last").max()
    ),
    "levels": lambda df: df.group_by("level").agg(pl.col("records").sum()),
    "span": lambda df: df.select(pl.col("first").min(), pl.col("last").max()),
    "evidence": lambda df: df.unique(),
    "auth": lambda df: df.group_by("account", "method").agg(pl.col("records").sum()),
    "signals": lambda df: df.group_by("account", "signal").agg(
        pl.col("time").get(pl.col("line").arg_max()), pl.col("line").max()
    ),
}


@dataclass
class Gathered:
    """One input's fast rows, folded block by block."""

    source: str
    records: int = 0
    filtered: int = 0
    parts: dict[str, list[pl.DataFrame]] = field(
        default_factory=lambda: {name: [] for name in _FOLDS}
    )
    # accounts whose name clues were handed over already
    named: pl.Series = field(default_factory=lambda: pl.Series("account", [], pl.String))
    # the line of the last per-line record that set each (account or None, signal)
    line_signals: dict[tuple[str | None, str], int] = field(default_factory=dict)

    def add(self, fast: pl.DataFrame, rich: pl.DataFrame, first_line: int) -> None:
        """A block's admitted fast rows (`fast`) and their rich rows (`rich`)."""
        self.records += fast.height
        if fast.is_empty():
            return
        records = pl.len().alias("records")
        accounts = (
            fast.filter(pl.col("account").is_not_null())
            .group_by("account")
            .agg(records, pl.col("time").min().alias("first"), pl.col("time").max().alias("last"))
        )
        kept = rich.join(fast.select("row"), on="row", how="semi").filter(
            pl.col("account").is_not_null()
        )
        evidence = kept.select("account", "clues").explode("clues").drop_nulls("clues")
        self._part("accounts", accounts)
        self._part("levels", fast.group_by("level").agg(records))
        self._part("span", fast.select(pl.col("time").min().alias("first"),
                                       pl.col("time").max().alias("last")))  # fmt: skip
        # an account name says the same every time: once per input is enough
        new = accounts["account"].filter(~accounts["account"].is_in(self.named.implode()))
        self.named = pl.concat([self.named, new])
        self._part("evidence", _account_clues(new.to_list()))
        self._part("evidence", evidence.unnest("clues").unique())
        self._part("auth", kept.drop_nulls("method").group_by("account", "method").agg(records))
        signals = _FOLDS["signals"](
            fast.filter(MSG.is_in(list(SIGNALS))).select(
                "account",
                MSG.replace_strict(SIGNALS, return_dtype=pl.String).alias("signal"),
                "time",
                (pl.col("row") + first_line).cast(pl.Int64).alias("line"),
            )
        )  # a block's signal rows are many (webhooks, tokens): folded at once
        self._part("signals", signals)
        anyone = signals.with_columns(account=pl.lit(None, pl.String))
        self._part("signals", _FOLDS["signals"](anyone))

    def _part(self, name: str, frame: pl.DataFrame) -> None:
        parts = self.parts[name]
        parts.append(frame)
        if len(parts) >= _FOLD_EVERY:
            parts[:] = [_FOLDS[name](pl.concat(parts))]

    def _folded(self, name: str) -> pl.DataFrame:
        folded: pl.DataFrame = _FOLDS[name](pl.concat(self.parts[name]))
        return folded

    def flush(self, collector: Collector) -> None:
        """Hand everything to the collector, once, at the end of the input."""
        if not self.records:
            collector.add_bulk(Bulk(self.source, 0, self.filtered, [], 0, 0, [], [], []))
            return
        first, last = self._folded("span").row(0)
        collector.add_bulk(
            Bulk(
                self.source,
                self.records,
                self.filtered,
                list(self._folded("levels").iter_rows()),
                first,
                last,
                list(self._folded("accounts").iter_rows()),
                list(self._folded("evidence").iter_rows()),
                list(self._folded("auth").iter_rows()),
            )
        )
        for account, signal, t, line in self._folded("signals").iter_rows():
            if line > self.line_signals.get((account, signal), -1):
                if account is None:
                    collector.signals[signal] = t
                else:
                    collector.track(account).signal_times()[signal] = t
