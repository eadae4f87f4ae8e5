"""Escaping for Markdown pages: what people wrote must stay text, whatever it contains."""

import re

# Punctuation that can open a Markdown construct anywhere in a line (CommonMark §2.4 lets any
# ASCII punctuation be backslash-escaped): emphasis, code spans, links and images, tables, HTML
# entities' look-alikes. '<' and '>' become entities: renderers that pass raw HTML through would
# otherwise run a reply's <script> or <img onerror> in the archive.
_INLINE = re.compile(r"([\\`*_\[\]{}()#|!~])")
# What opens a block only at the start of a line: list bullets, ordered-list numbers, quotes.
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))", re.MULTILINE)
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")


def markdown_escape(value: object) -> str:
    """``value`` as literal Markdown text, on one line (table cells and list items hold it)."""
    text = " ".join(str(value).split())
    return _escape(text)


def markdown_fragment(value: object) -> str:
    """A piece of a line that something of ours begins (a redline after its paragraph label):
    spaces kept as they are, no line-start escapes."""
    text = _ENTITY_LIKE.sub("&amp;", str(value)).replace("<", "&lt;").replace(">", "&gt;")
    return _INLINE.sub(r"\\\1", text)


def _escape(text: str) -> str:
    return _LINE_START.sub(_line_start, markdown_fragment(text))


def _line_start(match: re.Match[str]) -> str:
    indent, opener = match[1], match[2]
    # "1." stays "1\." (the number is text); "-" becomes "\-"
    return f"{indent}{opener}\\" if opener[0].isdigit() else f"{indent}\\{opener}"
