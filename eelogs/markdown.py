"""A small Markdown subset to HTML, for the catalog's docs text in the HTML report.

The catalog writes its what / why / fix in Markdown: numbered and bulleted lists, `inline
code`, **strong** and *emphasis*, fenced blocks, [links](https://…) and bare https:// URLs.
That is all this renders. Every other character is escaped, so a catalog from `--patterns DIR`
cannot put markup into the page, and only http(s) URLs become links. Text that came from the
logs (an account name in a fix) is filled in after rendering, escaped (see `fill`).
"""

from __future__ import annotations

import re
from html import escape

from markupsafe import Markup

_LIST_ITEM = re.compile(r"^(\s*)(\d+[.)]|[-*+])\s+(.*)$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
# One alternation, tried left to right: code first, so nothing inside a code span is
# read as emphasis or a link.
_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<code_text>.+?)(?P=ticks))"
    r"|\[(?P<link_text>[^\]\n]+)\]\((?P<link_url>https?://[^\s()<>\"'`{}]+)\)"
    r"|\*\*(?P<strong>[^*\n]+?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^*\s][^*\n]*?)(?<!\s)\*(?![\w*])"
    r"|(?P<url>https?://[^\s<>\"'`{}]+)"
)
_TRAILING = ".,;:!?"


def to_html(text: str) -> Markup:
    """Render the subset: blocks (paragraphs, lists, fences), then inline marks."""
    lines = text.strip("\n").splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
        elif _FENCE.match(line):
            index = _fenced(lines, index, out)
        elif _LIST_ITEM.match(line):
            index = _list(lines, index, out)
        else:
            index = _paragraph(lines, index, out)
    return Markup("\n".join(out))


def inline(text: str) -> Markup:
    """One line of prose (a title, a provider note): inline marks only."""
    return Markup(_inline(" ".join(text.split())))


def fill(html: Markup, placeholder: str, value: str) -> Markup:
    """Put log text (an account name) where the docs say `{account}`, escaped."""
    return Markup(str(html).replace(placeholder, escape(value)))


def _fenced(lines: list[str], start: int, out: list[str]) -> int:
    opening = _FENCE.match(lines[start])
    fence = opening.group(1) if opening else "```"
    body: list[str] = []
    index = start + 1
    while index < len(lines) and not lines[index].strip().startswith(fence):
        body.append(lines[index])
        index += 1
    out.append(f"<pre><code>{escape(chr(10).join(body))}</code></pre>")
    return index + 1


def _list(lines: list[str], start: int, out: list[str]) -> int:
    """Consecutive items of one kind; an indented or plain line continues the item above."""
    first = _LIST_ITEM.match(lines[start])
    ordered = bool(first and first.group(2)[0].isdigit())
    items: list[list[str]] = []
    index = start
    while index < len(lines):
        line = lines[index]
        item = _LIST_ITEM.match(line)
        if item and item.group(2)[0].isdigit() == ordered and not item.group(1):
            items.append([item.group(3)])
        elif item and not item.group(1):
            break  # the other kind of list starts
        elif line.strip() and items and not _FENCE.match(line):
            items[-1].append(line.strip())
        else:
            break
        index += 1
    tag = "ol" if ordered else "ul"
    body = "".join(f"<li>{_inline(' '.join(parts))}</li>" for parts in items)
    out.append(f"<{tag}>{body}</{tag}>")
    return index


def _paragraph(lines: list[str], start: int, out: list[str]) -> int:
    parts: list[str] = []
    index = start
    while index < len(lines):
        line = lines[index]
        if not line.strip() or _FENCE.match(line) or _LIST_ITEM.match(line):
            break
        parts.append(line.strip())
        index += 1
    out.append(f"<p>{_inline(' '.join(parts))}</p>")
    return index


def _inline(text: str) -> str:
    pieces: list[str] = []
    done = 0
    for mark in _INLINE.finditer(text):
        pieces.append(escape(text[done : mark.start()]))
        done = mark.end()
        if mark.group("code"):
            pieces.append(f"<code>{escape(mark.group('code_text').strip())}</code>")
        elif mark.group("link_url"):
            pieces.append(_link(mark.group("link_url"), escape(mark.group("link_text"))))
        elif mark.group("strong"):
            pieces.append(f"<strong>{_inline(mark.group('strong'))}</strong>")
        elif mark.group("em"):
            pieces.append(f"<em>{_inline(mark.group('em'))}</em>")
        else:
            url, rest = _split_trailing(mark.group("url"))
            pieces.append(_link(url, escape(url)) + escape(rest))
    pieces.append(escape(text[done:]))
    return "".join(pieces)


def _split_trailing(url: str) -> tuple[str, str]:
    """A bare URL at the end of a sentence: the full stop is not part of it."""
    end = len(url)
    while end and url[end - 1] in _TRAILING:
        end -= 1
    return url[:end], url[end:]


def _link(url: str, label: str) -> str:
    return f'<a href="{escape(url)}" rel="noreferrer noopener">{label}</a>'
