"""The HTML of a notice's body, built from its plain text: paragraphs, lines, lists, commands.

Each message has one template per language, written as plain text (STYLE: one template per
message). Its structure is in the text itself, and this module carries it over to HTML, so the
two parts of a message cannot drift apart and a new notice gets real lists without an HTML twin:

- a blank line separates paragraphs (``<p>``);
- a line that starts with ``- `` is a bullet (``<ul><li>``), one with ``N. `` a numbered item
  (``<ol><li>``); the lines before the first item stay the list's heading paragraph;
- other lines of a paragraph keep their line breaks (``<br>``): "Posición: …" then each
  amendment on its own line;
- a line indented by four spaces, and text between backquotes, is a command to type (``<code>``);
- lines that start with ``> `` quote what someone wrote (``<blockquote>``), line by line.

Everything is escaped first: the text holds what countries wrote. Styles are inline on every
element: Gmail drops ``<style>`` blocks in many clients, and Outlook's Word engine ignores
padding on lists but keeps margins, so lists are indented with a left margin (its default
bullet indent is kept) and items are spaced with a bottom margin.
"""

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

PARAGRAPH_STYLE = "margin:0 0 12px"
LIST_STYLE = "margin:0 0 12px 24px;padding:0"
ITEM_STYLE = "margin:0 0 4px"
CODE_STYLE = (
    "font-family:Consolas,'Courier New',monospace;font-size:14px;background:#f6f8fa;padding:1px 4px"
)
QUOTE_STYLE = "margin:0 0 12px;padding:4px 12px;border-left:3px solid #d0d7de;color:#424a53"
COMMAND_STYLE = (
    "margin:0 0 12px;padding:6px 10px;background:#f6f8fa;"
    "font-family:Consolas,'Courier New',monospace;font-size:14px"
)

_BULLET = re.compile(r"^[-•] +(?P<text>.*)$")
_NUMBERED = re.compile(r"^(?P<number>\d{1,3})\. +(?P<text>.*)$")
_COMMAND = re.compile(r"^ {4}(?P<text>\S.*)$")
_QUOTED = re.compile(r"^> ?(?P<text>.*)$")
_BACKQUOTED = re.compile(r"`([^`\n]+)`")


@dataclass(frozen=True)
class _Line:
    kind: str  # "text" | "ul" | "ol" | "command" | "quote"
    text: str
    number: int = 0


def text_to_html(text: str) -> str:
    """``text`` (a notice's plain body) as HTML block elements, every character escaped."""
    blocks = re.split(r"\n[ \t]*\n", text.strip("\n"))
    return "\n".join(_block(block) for block in blocks if block.strip())


def _block(block: str) -> str:
    out: list[str] = []
    lines = [_classify(line) for line in block.split("\n") if line.strip()]
    for kind, group in _runs(lines):
        out.append(_render(kind, group))
    return "\n".join(out)


def _classify(line: str) -> _Line:
    command = _COMMAND.match(line)
    if command:
        return _Line("command", command["text"].rstrip())
    stripped = line.strip()
    quoted = _QUOTED.match(stripped)
    if quoted:
        return _Line("quote", quoted["text"])
    bullet = _BULLET.match(stripped)
    if bullet:
        return _Line("ul", bullet["text"])
    numbered = _NUMBERED.match(stripped)
    if numbered:
        return _Line("ol", numbered["text"], int(numbered["number"]))
    return _Line("text", stripped)


def _runs(lines: list[_Line]) -> Iterator[tuple[str, list[_Line]]]:
    """Consecutive lines of one kind; a lone "N. " line among text stays text (a sentence
    that happens to start with a number is not a list)."""
    group: list[_Line] = []
    for line in lines:
        if group and line.kind != group[-1].kind:
            yield _settle(group)
            group = []
        group.append(line)
    if group:
        yield _settle(group)


def _settle(group: list[_Line]) -> tuple[str, list[_Line]]:
    if group[0].kind == "ol" and len(group) == 1:
        only = group[0]
        return "text", [_Line("text", f"{only.number}. {only.text}")]
    return group[0].kind, group


def _render(kind: str, group: list[_Line]) -> str:
    if kind == "text":
        body = "<br>\n".join(_inline(line.text) for line in group)
        return f'<p style="{PARAGRAPH_STYLE}">{body}</p>'
    if kind == "quote":  # someone's own words: no list or command read into them
        body = "<br>\n".join(html.escape(line.text) for line in group)
        return f'<blockquote style="{QUOTE_STYLE}">{body}</blockquote>'
    if kind == "command":
        body = "<br>\n".join(html.escape(line.text) for line in group)
        return f'<p style="{COMMAND_STYLE}"><code>{body}</code></p>'
    items = "\n".join(f'<li style="{ITEM_STYLE}">{_inline(line.text)}</li>' for line in group)
    if kind == "ul":
        return f'<ul style="{LIST_STYLE}">\n{items}\n</ul>'
    start = f' start="{group[0].number}"' if group[0].number != 1 else ""
    return f'<ol style="{LIST_STYLE}"{start}>\n{items}\n</ol>'


def _inline(text: str) -> str:
    """Escaped text; `…` becomes a command in monospace."""
    parts = _BACKQUOTED.split(text)
    return "".join(
        f'<code style="{CODE_STYLE}">{html.escape(part)}</code>' if odd else html.escape(part)
        for odd, part in ((i % 2 == 1, p) for i, p in enumerate(parts))
    )
