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
import secrets
from email.headerregistry import BaseHeader, HeaderRegistry
from email.policy import Policy
from typing import Any

# Addresses, Message-IDs and multipart types as the service makes them: addresses of dot-atoms
# of letters, digits, "+", "_" and "-" (RFC 5322 §3.2.3) joined by ", ", one Message-ID in
# angle brackets, a multipart type with a boundary of `boundary`.
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
    "content-type": re.compile(
        r'multipart/(?:alternative|mixed|related); boundary="=_[0-9a-f]{32}"'
    ),
}


class Registry(HeaderRegistry):
    """email's header registry, each header name's class made once. The standard one makes
    a new class at every lookup, and a message looks one up for every header set on it (to
    count how many it may hold): a tenth of composing one."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(name)
        return found


# `email.policy.default` with that registry: what the service's messages are built with.
POLICY = email.policy.default.clone(header_factory=Registry())


@functools.lru_cache(maxsize=256)
def shared(name: str, value: str) -> str:
    """The header parsed once and shared by every message that carries it (a parsed header
    is an immutable string), and folded once for each policy it is written with."""
    return _Shared(POLICY.header_factory(name, value))


def boundary() -> str:
    """A multipart boundary for a message the service writes: 128 random bits after "=_"
    (which quoted-printable and base64 never write). email's generator otherwise draws one
    and searches every part's text for it, a tenth of flattening a message; these bits are
    drawn after the text is written, which holds them only by a 2**-128 chance."""
    return f"=_{secrets.token_hex(16)}"


def plain(name: str, value: str) -> str:
    """``value`` ready to set as header ``name``: written as it is when it is a plain ASCII
    value (what folding its parsed form gives: `tests/mail/pieces/test_headers.py`), else
    parsed by the policy."""
    pattern = _PLAIN.get(name.lower())
    if pattern is not None and pattern.fullmatch(value):
        return _Plain(name, value)
    header: BaseHeader = POLICY.header_factory(name, value)
    return header


class _Shared(str):
    """A parsed header that many messages carry: its parsed fields (``params``,
    ``addresses``…) are the header's, and its folded form is kept for each kind of policy."""

    name: str
    _header: BaseHeader
    _folded: dict[tuple[Any, ...], str]

    def __new__(cls, header: BaseHeader) -> "_Shared":
        shared = super().__new__(cls, header)
        shared.name = header.name
        shared._header = header
        shared._folded = {}
        return shared

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.__dict__["_header"], attribute)

    def __reduce__(self) -> tuple[Any, ...]:
        return shared, (self.name, str(self))

    def fold(self, *, policy: Policy) -> str:
        # what BaseHeader.fold reads of a policy
        key = (policy.max_line_length, policy.linesep, getattr(policy, "utf8", False))
        folded: str | None = self._folded.get(key)
        if folded is None:
            folded = self._folded[key] = self._header.fold(policy=policy)
        return folded


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

    def __reduce__(self) -> tuple[Any, ...]:
        return _Plain, (self.name, str(self))
