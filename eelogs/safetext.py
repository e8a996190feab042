"""The one place that makes text safe for each output format: the terminal, Markdown, HTML and
JSON. Every report, `watch`, `classify` and `patterns list|show` go through it.

Log text is data: it is shown as it was, made safe for the format, and never otherwise
altered. Control characters (C0, DEL, C1), bidirectional controls, line and paragraph
separators and lone surrogates are made visible as Python-style escapes (`\\x1b`, `\\r`,
`\\n`, `\\u202e`), so a log line cannot move the cursor, set a terminal title, write the
clipboard, reorder what is shown or start a new line of the report.
"""

from __future__ import annotations

import re
from typing import Any

# What a terminal, a Markdown renderer or a reader's eye would act on rather than show: C0
# controls, DEL and C1 controls (U+009B is a CSI on many terminals), the bidirectional
# controls behind "Trojan Source" spoofing, the Unicode line and paragraph separators, and
# lone surrogates (which cannot even be encoded as UTF-8).
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff"
_CONTROL = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_CONTROL_BUT_LF = re.compile(f"[\x00-\x09\x0b-\x1f{_BEYOND_C0}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


class Safe(str):
    """Text our own code already made safe for the format it is in (a coloured label, a
    Markdown code span): the template's final pass leaves it as it is."""

    __slots__ = ()


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(value: Any) -> str:
    """`value` as text with every control character shown as an escape (`\\x1b`, `\\n`)."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(_escape_char, text)


def visible_keep_lines(value: Any) -> str:
    """Like `visible`, but line feeds stay line feeds: for blocks that are meant to span
    lines (a sample record, a remedy) and sit where a new line cannot start anything."""
    text = "" if value is None else str(value)
    return _CONTROL_BUT_LF.sub(_escape_char, text)


def finalize(value: Any) -> Any:
    """The text and Markdown templates' last pass over every `{{ … }}`: what our own code
    made safe (a `Safe`: colour codes, code spans, fences) stays; anything else has its
    control characters made visible, so a template that forgets a filter still cannot put a
    terminal escape or a line break from the data into the output."""
    return value if isinstance(value, Safe) else visible(value)


# --- Markdown ---------------------------------------------------------------------------

# Characters that start inline Markdown (emphasis, code, links, images, raw HTML, entities,
# strikethrough, table cells) or, at a line's start, a block (heading, quote, list).
_MD_SPECIAL = re.compile(r"[\\`*_\[\]<>&!|~#]")
# GitHub's bare autolinks start at `scheme://`, `www.` and an `@` between words
_MD_AUTOLINK = re.compile(r"(?i)(?<=www)\.|:(?=//)|@")
_MD_LINE_START = re.compile(r"^(?:[-+=]|\d+[.)])")
_BACKSLASH_BEFORE_PIPE = re.compile(r"\\+(?=\|)")


def md_escape(value: Any) -> Safe:
    """Log text as Markdown text: every character that could start markup is escaped with a
    backslash, so it shows exactly as it was and nothing in it is live."""
    text = visible(value)
    text = _MD_SPECIAL.sub(lambda m: "\\" + m.group(), text)
    text = _MD_AUTOLINK.sub(lambda m: "\\" + m.group(), text)
    text = _MD_LINE_START.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], text)
    return Safe(text)


def md_span(value: Any, table: bool = False) -> Safe:
    """Log text as a Markdown code span: shown as it was, nothing in it live. The fence is
    one backtick longer than any run inside, padded with a space where the text starts or
    ends with a backtick or a space (CommonMark strips one). In a table cell `|` is escaped;
    a backslash right before a pipe cannot be told apart from the pipe's own escape by every
    renderer, so such text is escaped character by character instead."""
    text = visible(value)
    if not text:
        return Safe("")
    if table and _BACKSLASH_BEFORE_PIPE.search(text):
        return md_escape(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    if table:
        text = text.replace("|", "\\|")
    return Safe(f"{fence}{pad}{text}{pad}{fence}")


def md_cell(value: Any) -> Safe:
    """Log text in a Markdown table cell: a code span with its pipes escaped."""
    return md_span(value, table=True)


def md_list(items: list[Any], limit: int = 5, table: bool = False) -> Safe:
    """Names from the logs (accounts) as code spans: `a`, `b` (+3 more)."""
    shown = ", ".join(md_span(item, table) for item in items[:limit])
    return Safe(shown + (f" (+{len(items) - limit} more)" if len(items) > limit else ""))


def md_code(value: Any, lang: str = "text") -> Safe:
    """A fenced block the text cannot close: the fence is longer than any backtick run
    inside. Line feeds stay; CR and other control characters are made visible."""
    text = visible_keep_lines(value)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return Safe(f"{fence}{lang}\n{text}\n{fence}")


_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]\s*")


def md_prose(value: Any, table: bool = False) -> Safe:
    """Catalog text (what / why / fix notes, titles; ours or a user catalog's): Markdown by
    design, so emphasis, code and links stay. It is folded onto one line (a line of its own
    could start a heading), raw HTML is made inert (`<` and `>` outside code spans become
    entities), and control characters are made visible. In a table cell every `|` is
    escaped."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value)).strip()
    text = visible(_inert_html(text))
    if table:
        text = _escape_pipes(text)
    return Safe(text)


def md_block(value: Any) -> Safe:
    """Catalog text as Markdown blocks (a fix's numbered steps, code spans): its lines
    kept, raw HTML made inert outside code spans, control characters but line feeds made
    visible."""
    text = "" if value is None else str(value).strip()
    return Safe(visible_keep_lines(_inert_html(text)))


def _inert_html(text: str) -> str:
    """`<` and `>` as entities outside code spans (inside them HTML is inert already, and an
    entity would show as written)."""
    parts, done = [], 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(text[done : span.start()].replace("<", "&lt;").replace(">", "&gt;"))
        parts.append(span.group())
        done = span.end()
    parts.append(text[done:].replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(parts)


def _escape_pipes(text: str) -> str:
    """Every `|` preceded by an odd number of backslashes: an escaped pipe for GitHub's table
    parser (which pairs backslashes) and for markdown-it's (which looks at one)."""

    def fix(match: re.Match[str]) -> str:
        slashes = len(match.group(1))
        return match.group(1) + ("" if slashes % 2 else "\\") + "|"

    return re.sub(r"(\\*)\|", fix, text)


_WEB_URL = re.compile(r"https?://[^\s<>`\\\x00-\x1f\x7f-\x9f]+", re.IGNORECASE)


def web_url(value: Any) -> str:
    """`value` if it is a plain http(s) URL that may be a live link, else "": a user
    catalog's `javascript:` reference is shown, never linked."""
    text = "" if value is None else str(value)
    return text if _WEB_URL.fullmatch(text) else ""


def md_link(value: Any) -> Safe:
    """A reference: an autolink when it is a plain web URL, else a code span."""
    url = web_url(value)
    return Safe(f"<{url}>") if url else md_span(value)


# --- HTML -------------------------------------------------------------------------------


def html_finalize(value: Any) -> Any:
    """The HTML template's pass over every `{{ … }}` before jinja2's autoescape: markup
    (our charts) stays markup, and every value has its control characters made visible (a
    bidi override would reorder what the reader sees). Line feeds stay: in HTML they start
    nothing, and a remedy in a <pre> needs its lines."""
    from markupsafe import Markup

    if isinstance(value, Markup):
        # ours, or jinja2's own escaped output: made visible as it is (the escapes hold no
        # `<`, `&` or quote, so the markup stays valid)
        return Markup(visible_keep_lines(str(value)))
    return visible_keep_lines(value)


# --- JSON -------------------------------------------------------------------------------

# orjson writes C0 controls as \u00XX already; these it writes as raw UTF-8
_JSON_RAW = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def json_safe(text: str) -> str:
    """Serialised JSON with DEL, C1 and bidi controls and line separators written as
    `\\uXXXX`: the same data for a parser, no live control character for a terminal
    that shows the JSON (`eelogs classify | less`)."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
