"""Headers for the messages the service writes, parsed no more often than they must be.

email's default policy parses every header it is given into a tree, and folds that tree again
when the message is written. A fan-out writes the same From, Date and Subject for hundreds of
readers, and for each reader an address or a Message-ID that is plain ASCII and fits on one
line: parsing those was a fifth of sending a draft.

Both kinds follow the protocol `email.policy.EmailPolicy` documents for header objects: a value
with a ``name`` matching the header's is stored as it is, and written by its own ``fold``.
"""

import email.policy
import functools
import re
from email.headerregistry import BaseHeader
from email.policy import Policy

# Addresses and Message-IDs as the service makes them: dot-atoms of letters, digits, "+", "_"
# and "-" (RFC 5322 §3.2.3); addresses joined by ", ", one Message-ID in angle brackets.
# Anything else (a display name, an accent, a quoted string, a malformed address that the
# parser would repair) is parsed by the policy as usual.
_ATOM = r"[A-Za-z0-9+_\-]+"
_ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*"
_ADDRESSES = re.compile(rf"{_ADDRESS}(?:, {_ADDRESS})*")
_PLAIN = {
    "to": _ADDRESSES,
    "cc": _ADDRESSES,
    "reply-to": _ADDRESSES,
    "message-id": re.compile(rf"<{_ADDRESS}>"),
}


@functools.lru_cache(maxsize=256)
def shared(name: str, value: str) -> BaseHeader:
    """The header parsed once and shared by every message that carries it (a parsed header
    is an immutable string)."""
    header: BaseHeader = email.policy.default.header_factory(name, value)
    return header


def plain(name: str, value: str) -> str:
    """``value`` ready to set as header ``name``: written as it is when it is a plain ASCII
    value (what folding its parsed form gives: `tests/mail/pieces/test_headers.py`), else
    parsed by the policy."""
    pattern = _PLAIN.get(name.lower())
    if pattern is not None and pattern.fullmatch(value):
        return _Plain(name, value)
    header: BaseHeader = email.policy.default.header_factory(name, value)
    return header


class _Plain(str):
    """A header value that needs no parsing: ``name: value`` on one line."""

    name: str

    def __new__(cls, name: str, value: str) -> "_Plain":
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        line = f"{self.name}: {self}"
        if policy.max_line_length and len(line) > policy.max_line_length:
            # too long for one line: folded as the policy folds the parsed header
            factory = getattr(policy, "header_factory", email.policy.default.header_factory)
            folded: str = factory(self.name, str(self)).fold(policy=policy)
            return folded
        return line + policy.linesep
