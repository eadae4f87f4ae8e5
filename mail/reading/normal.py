"""Text normalisation shared by the reader: quotes, spaces, accents, phrase look-up."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_QUOTES = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2013": "-",
        "\u2014": "-",
    }
)
_SPACES = re.compile(r"\s+")

# Markers the HTML and docx readers leave around struck-out and inserted text.
DEL_OPEN, DEL_CLOSE = "[-", "-]"
INS_OPEN, INS_CLOSE = "{+", "+}"
_DEL_SPAN = re.compile(r"\[-(.*?)-\]", re.S)
_INS_SPAN = re.compile(r"\{\+(.*?)\+\}", re.S)


def collapse(text: str) -> str:
    """Collapse runs of whitespace and trim."""
    return _SPACES.sub(" ", text).strip()


def unify(text: str) -> str:
    """Typographic quotes and dashes to ASCII, whitespace collapsed."""
    return collapse(text.translate(_QUOTES))


def _strip_accents(char: str) -> str:
    base = unicodedata.normalize("NFKD", char.casefold())
    base = "".join(c for c in base if not unicodedata.combining(c))
    first = base[:1] or char
    return " " if first.isspace() else first


# One character in, one character out, for the Latin scripts diplomatic mail is written in;
# other characters go through NFKD one by one (slow path, rarely taken).
_ONE_TO_ONE = {code: _strip_accents(chr(code)) for code in range(0x80, 0x250)}
_ONE_TO_ONE.update({code: chr(code).lower() for code in range(0x41, 0x5B)})
_ONE_TO_ONE.update(_QUOTES)


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower-case, accent-free, ASCII quotes, collapsed: for matching words, not for output."""
    return collapse(fold_keep_length(text))


def fold_keep_length(text: str) -> str:
    """Like :func:`fold` but one output character per input character, so offsets carry over."""
    if text.isascii():
        return text.lower()
    lowered = text.translate(_ONE_TO_ONE)
    if lowered.isascii():
        return lowered
    return "".join(_strip_accents(c) if not c.isascii() else c for c in lowered)


def has_markup(text: str) -> bool:
    """Whether the text carries struck-out or inserted markers."""
    return bool(_DEL_SPAN.search(text) or _INS_SPAN.search(text))


def accepted(text: str) -> str:
    """The text with struck-out spans dropped and insertions kept (Word's "accept all")."""
    return collapse(_INS_SPAN.sub(r"\1", _DEL_SPAN.sub("", text)))


def original(text: str) -> str:
    """The text as it was before the marked changes (Word's "reject all")."""
    return collapse(_DEL_SPAN.sub(r"\1", _INS_SPAN.sub("", text)))


def plain(text: str) -> str:
    """The text with the markers removed and both spans kept (underline as mere emphasis)."""
    return collapse(_DEL_SPAN.sub(r"\1", _INS_SPAN.sub(r"\1", text)))


def strip_quotes(text: str) -> str:
    """Drop quotation marks (and a trailing period outside them) around a quoted passage."""
    stripped = text.strip()
    pairs = {'"': '"', "\u201c": "\u201d", "\u00ab": "\u00bb", "'": "'", "\u2018": "\u2019"}
    for _ in range(2):
        if len(stripped) >= 2 and stripped[0] in pairs:
            close = pairs[stripped[0]]
            body = stripped[1:]
            for tail in (close, close + ".", close + ";", close + ","):
                if body.endswith(tail) and close not in body[: -len(tail)]:
                    stripped = body[: -len(tail)].strip()
                    break
            else:
                break
    return stripped


def find_phrase(paragraph: str, phrase: str) -> list[tuple[int, int]]:
    """Spans of ``phrase`` in ``paragraph``, ignoring case, accents, quote style and spacing."""
    target = fold(phrase)
    if not target:
        return []
    folded = fold_keep_length(paragraph)
    # Map a whitespace-collapsed view back to offsets in the original paragraph.
    chars: list[str] = []
    offsets: list[int] = []
    previous_space = True
    for index, char in enumerate(folded):
        if char == " ":
            if previous_space:
                continue
            previous_space = True
        else:
            previous_space = False
        chars.append(char)
        offsets.append(index)
    view = "".join(chars)
    spans = []
    start = view.find(target)
    while start != -1:
        end = start + len(target)
        spans.append((offsets[start], offsets[end - 1] + 1))
        start = view.find(target, start + 1)
    return spans
