"""How deep a message's MIME structure goes, found without parsing it.

Python's email parser recurses once per level (RFC 2046 §5.1 lets multiparts nest without
limit): a crafted message a thousand levels deep raises RecursionError wherever it is parsed.
This scan reads only header lines and boundary delimiters, in one pass, and never recurses.
"""

import re

MAX_DEPTH = 50  # deeper than any mail client writes; past it a message is "too complex to read"

_CONTENT_TYPE = re.compile(
    rb"^content-type:[ \t]*(?P<type>[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.I | re.M
)
_DELIMITER = re.compile(rb"^--(?P<boundary>[^\r\n]*?)[ \t]*\r?$", re.M)
_BOUNDARY = re.compile(rb"""boundary[ \t]*=[ \t]*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^;\s]+))""", re.I)


def depth(raw: bytes) -> int:
    """The deepest nesting of multipart and message parts (a plain message is 0)."""
    events = [(m.start(), "type", m.group("type")) for m in _CONTENT_TYPE.finditer(raw)]
    events += [(m.start(), "delimiter", m.group("boundary")) for m in _DELIMITER.finditer(raw)]
    events.sort(key=lambda event: event[0])
    stack: list[bytes | None] = []  # open containers: a multipart's boundary, or None (message/*)
    deepest = 0
    for _, what, value in events:
        if what == "type":
            _open(stack, value)
            deepest = max(deepest, len(stack))
        else:
            _close(stack, value)
    return deepest


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    return depth(raw) > limit


def _open(stack: list[bytes | None], content_type: bytes) -> None:
    kind = content_type.strip().lower()
    if kind.startswith(b"multipart/"):
        found = _BOUNDARY.search(content_type)
        if found:
            stack.append(found.group("quoted") or found.group("bare"))
    elif kind.startswith(b"message/"):
        stack.append(None)


def _close(stack: list[bytes | None], line: bytes) -> None:
    """``--b`` starts a sibling part of ``b``'s multipart; ``--b--`` closes it (RFC 2046 §5.1.1):
    either way every container opened inside ``b`` since has ended."""
    for boundary, closing in ((line, False), (line[:-2], True)):
        if boundary in stack:
            index = len(stack) - 1 - stack[::-1].index(boundary)
            del stack[index + (0 if closing else 1) :]
            return
