"""Block Kit pieces shared by every Slack message, within Slack's limits (``bot.limits``).

Nothing here cuts text silently: a list that does not fit in its share of a message keeps the
lines that fit and says how many it left out, in the reader's words (``more(n)``); a single
line longer than a section shows its start and an ellipsis.
"""

from collections.abc import Callable
from typing import Any

from bot import limits
from bot.texts import escape

Block = dict[str, Any]


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(shorten(text, limits.SECTION_TEXT))}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(shorten(text, limits.TEXT_OBJECT))]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, limits.HEADER_TEXT)}


def mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int) -> Block:
    return {"type": "plain_text", "text": shorten(text, limit)}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    found: Block = {
        "type": "button",
        "text": plain(label, limits.BUTTON_TEXT),
        "action_id": action_id,
        "value": value,
    }
    if style:
        found["style"] = style
    return found


def shorten(text: str, limit: int) -> str:
    """``text`` as it is when it fits, else its start and an ellipsis the reader sees."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def excerpt(text: str | None, limit: int) -> str:
    """One line of at most ``limit`` characters (whitespace folded), with an ellipsis if cut."""
    return shorten(" ".join((text or "").split()), limit)


def block_text(blocks: list[Block]) -> int:
    """The characters of text in ``blocks``, as Slack adds them up for ``msg_blocks_too_long``."""
    return sum(_text_in(block) for block in blocks)


def _text_in(value: Any) -> int:
    if isinstance(value, dict):
        return sum(
            len(v) if k == "text" and isinstance(v, str) else _text_in(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return sum(_text_in(v) for v in value)
    return 0


def packed(lines: list[str], *, budget: int, more: Callable[[int], str]) -> list[Block]:
    """``lines`` in sections of at most 3,000 characters, never splitting a line, using about
    ``budget`` characters in all: the lines past it are left out and counted in a last line,
    ``more(n)``. Empty for no lines."""
    kept, left = fitting(lines, budget=budget, reserve=len(more(len(lines))) + 1)
    if left:
        kept = [*kept, more(left)]
    return sections(kept)


def fitting(lines: list[str], *, budget: int, reserve: int = 0) -> tuple[list[str], int]:
    """The first lines whose total stays within ``budget`` and how many are left out; when
    some are, ``reserve`` characters are kept free for saying so."""
    fitted = [shorten(line, limits.SECTION_TEXT) for line in lines]
    if sum(len(line) + 1 for line in fitted) <= budget:
        return fitted, 0
    kept: list[str] = []
    used = reserve
    for line in fitted:
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    return kept, len(fitted) - len(kept)


def sections(lines: list[str], *, separator: str = "\n") -> list[Block]:
    """Lines packed into sections of at most 3,000 characters each, never splitting a line."""
    chunks: list[list[str]] = [[]]
    size = 0
    for line in (shorten(line, limits.SECTION_TEXT) for line in lines):
        if chunks[-1] and size + len(separator) + len(line) > limits.SECTION_TEXT:
            chunks.append([])
            size = 0
        size += len(line) + (len(separator) if chunks[-1] else 0)
        chunks[-1].append(line)
    return [{"type": "section", "text": mrkdwn(separator.join(chunk))} for chunk in chunks if chunk]


def named(names: list[str], *, budget: int, more: Callable[[int], str]) -> str:
    """Names joined with commas within ``budget`` characters; those left out are counted in
    words at the end ("Belize, Canada and 150 more")."""
    shown: list[str] = []
    used = 0
    for index, name in enumerate(names):
        tail = len(more(len(names) - index)) + 2
        if used + len(name) + 2 + (tail if index < len(names) - 1 else 0) > budget:
            return ", ".join(shown) + (" " if shown else "") + more(len(names) - index)
        shown.append(name)
        used += len(name) + 2
    return ", ".join(shown)


def paragraphs(text: list[str], *, budget: int) -> tuple[list[Block], int]:
    """The first paragraphs of a text, numbered as in every other copy of it, in sections
    holding at most about ``budget`` characters; and how many whole paragraphs are shown. A
    paragraph longer than a section goes over as many sections as it needs; a first paragraph
    longer than the budget shows its start, with an ellipsis (0 shown whole)."""
    found: list[str] = []
    used = shown = 0
    for number, paragraph in enumerate(text, start=1):
        line = f"*{number}.* {escape(paragraph)}"
        if used + len(line) > budget:
            if not shown:
                found.extend(_pieces(shorten(line, budget)))
            break
        found.extend(_pieces(line))
        used += len(line) + 2
        shown += 1
    return sections(found, separator="\n\n"), shown


def _pieces(line: str) -> list[str]:
    """A paragraph too long for one section, over several at word boundaries."""
    if len(line) <= limits.SECTION_TEXT:
        return [line]
    pieces: list[str] = []
    while len(line) > limits.SECTION_TEXT:
        cut = line.rfind(" ", 0, limits.SECTION_TEXT)
        cut = cut if cut > 0 else limits.SECTION_TEXT
        pieces.append(line[:cut])
        line = line[cut:].lstrip()
    return [*pieces, line] if line else pieces
