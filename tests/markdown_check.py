"""Reading our Markdown as a renderer would, to prove log text stays inert in it.

markdown-it-py (CommonMark with GitHub's tables and strikethrough) parses the report. Its
`text_join` rule is off, so a backslash-escaped character stays a token of its own, as it
does for GitHub's autolinker: `http\\://evil` is then no bare link. Table rows are counted
with both rules in use: GitHub's (a backslash escapes the next character, in pairs) and
markdown-it's (a pipe right after a backslash is escaped).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("text_join")
# our own raw HTML: the anchor of each finding and the folding of the sample lines
_OWN_HTML = re.compile(
    r"\A(?:<a id=\"[a-z0-9-]+\"></a>|</a>|<a id=\"[a-z0-9-]+\">|<details><summary>[^<>]*"
    r"</summary>\n?|</details>\n?)\Z"
)
_BARE_LINK = re.compile(r"(?i)(?:https?|ftp)://|www\.|\w@\w")
_SCRIPT_URL = re.compile(r"(?i)\s*(?:javascript|vbscript|data):")
_STYLE = {"em_open", "strong_open", "s_open", "link_open", "heading_open"}


def tokens(markdown: str) -> list[Token]:
    return _PARSER.parse(markdown)


def live_markup(markdown: str, marker: str, data: bool = True) -> list[str]:
    """What a renderer would make live from text that holds `marker`: raw HTML that is not
    ours, links and images, bare autolinks, emphasis and headings around it. For catalog
    text (`data=False`), which is Markdown by design, only raw HTML and script links count."""
    found: list[str] = []
    stack: list[str] = []
    for token in tokens(markdown):
        if token.type == "html_block" and not _OWN_HTML.match(token.content):
            found.append(f"html block {token.content!r}")
        if token.type == "heading_open":
            stack.append("heading")
        if token.type == "heading_close":
            stack.pop()
        for child in token.children or []:
            found += _live_inline(child, marker, stack)
    if not data:
        return [f for f in found if f.startswith(("html", "script"))]
    return found


def _live_inline(child: Token, marker: str, stack: list[str]) -> list[str]:
    found = []
    if child.type == "html_inline" and not _OWN_HTML.match(child.content):
        found.append(f"html {child.content!r}")
    if child.type in ("link_open", "image"):
        # our own links are anchors and the catalog's references; planted ones carry the
        # mark (http://MARK.example) or run script
        href = str(child.attrGet("href") or child.attrGet("src") or "")
        if _SCRIPT_URL.match(href):
            found.append(f"script {child.type} {href!r}")
        elif marker.lower() in href.lower():
            found.append(f"{child.type} {href!r}")
    if child.type in _STYLE:
        stack.append(child.type)
    elif child.type.endswith("_close") and stack and child.type[:-6] in stack[-1]:
        stack.pop()
    if child.type == "text" and marker in child.content:
        if _BARE_LINK.search(child.content):
            found.append(f"bare link in {child.content!r}")
        if stack:
            found.append(f"inside {stack[-1]}: {child.content!r}")
    return found


def cells(line: str, github: bool) -> int:
    """Cells in a table row, as GitHub (pairs of backslashes) or markdown-it splits it."""
    pipes, index = 0, 0
    while index < len(line):
        char = line[index]
        if char == "\\" and github:
            index += 2
            continue
        if char == "|" and (github or index == 0 or line[index - 1] != "\\"):
            pipes += 1
        index += 1
    return pipes - 1


def broken_rows(markdown: str) -> list[str]:
    """Table rows whose cell count differs from their table's header, by either rule."""
    bad: list[str] = []
    header: dict[bool, int] | None = None
    for line in markdown.split("\n"):
        if not line.startswith("|"):
            header = None
            continue
        counts = {rule: cells(line, rule) for rule in (True, False)}
        if header is None:
            header = counts
        elif counts != header:
            bad.append(line)
    return bad


def shown_text(markdown: str) -> str:
    """The text a reader sees, one line per paragraph, cell or heading: escapes resolved."""
    return "\n".join(
        "".join(c.content for c in t.children or [] if c.type in _SHOWN)
        for t in tokens(markdown)
        if t.type == "inline"
    )


_SHOWN = {"text", "text_special", "code_inline"}
