"""A stored message parsed for what each step needs: its header block alone, or the whole."""

import functools
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesParser

from mail.headers import Registry


class _RememberedHeaders:
    """The standard header registry (`email.policy.EmailPolicy.header_factory`), each field
    parsed once. The default policy parses a field anew at every read, and the steps of one
    message read From, To, Content-Type… several times each; parsing was a fifth of a reply's
    ingest. Header objects are immutable, so one may serve every read of the same field."""

    def __init__(self) -> None:
        self._registry = Registry()

    def __getitem__(self, name: str) -> type[BaseHeader]:
        return self._registry[name]

    def __call__(self, name: str, value: str) -> BaseHeader:
        return _parsed(self._registry, name, value)


@functools.lru_cache(maxsize=4096)
def _parsed(registry: HeaderRegistry, name: str, value: str) -> BaseHeader:
    return registry(name, value)


# `email.policy.default`, with every field parsed once.
POLICY = policy.default.clone(header_factory=_RememberedHeaders())


def parse_header(raw: bytes) -> EmailMessage:
    """The header alone: every decision here reads headers, and the body is the reader's (in
    its own process). Parsing a 20 MB body on the event loop would stall it, and a body nested
    too deep would raise RecursionError."""
    # Only the header block is handed to the parser: even "headersonly" reads the whole body
    # into a string, ~150 ms of the event loop for a 20 MB message, and this runs per decision.
    message = BytesParser(policy=POLICY).parsebytes(header_block(raw))
    assert isinstance(message, EmailMessage)
    return message


def header_block(raw: bytes) -> bytes:
    """The bytes up to and including the blank line that ends the header (RFC 5322 §2.1)."""
    crlf = raw.find(b"\r\n\r\n")
    end = crlf + 4 if crlf >= 0 else len(raw)
    lf = raw.find(b"\n\n", 0, end)  # a bare-LF message, or one whose header mixes the two
    return raw[: lf + 2] if lf >= 0 else raw[:end]


def parse_whole(raw: bytes) -> EmailMessage:
    """Headers and body (the reader has already refused a message nested too deep)."""
    message = BytesParser(policy=POLICY).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message
