"""What makes two stored messages "the same message": the Message-ID and the content.

The very same message fetched twice (an IMAP re-fetch after a crash, a rescan after a
UIDVALIDITY change) or delivered twice by different routes is one message: its bytes differ only
in the trace fields each hop adds (RFC 5321 §4.4 ``Received`` and ``Return-Path``, RFC 8601
``Authentication-Results``, RFC 8617 ``ARC-*``, the delivery agent's ``Delivered-To`` and
``X-Original-To``, RFC 7208 ``Received-SPF``). A message that reuses a Message-ID with other
content is another message, and must never pass for the first one (RFC 5322 §3.6.4 makes the id
unique per message; a sender, a gateway or an attacker may still reuse it).
"""

import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser

# Header fields that one delivery adds and another does not (see the module docstring).
_TRACE = {
    "received",
    "return-path",
    "delivered-to",
    "x-original-to",
    "authentication-results",
    "received-spf",
}
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# Our key columns are indexed: a long Message-ID is kept as its hash, never cut short
# (two ids that differ after the cut would otherwise be one message).
_KEY_PREFIX = "mid:"


@dataclass(frozen=True)
class MessageKey:
    message_id: str | None  # as written, whole
    content: str  # sha256 of the message without its trace fields

    @property
    def dedupe_key(self) -> str:
        if self.message_id is None:
            return f"sha256:{self.content}"
        return f"{self.id_prefix}{self.content}"

    @property
    def id_prefix(self) -> str:
        """Shared by every stored message carrying this Message-ID, whatever its content."""
        if not self.message_id:
            return ""
        digest = hashlib.sha256(self.message_id.encode("utf-8", "surrogateescape")).hexdigest()
        return f"{_KEY_PREFIX}{digest}/"


def message_key(raw: bytes) -> MessageKey:
    return MessageKey(message_id(raw), content_hash(raw))


def content_of(dedupe_key: str) -> str | None:
    """The content hash a key written by `MessageKey` carries (None for older keys)."""
    if dedupe_key.startswith(_KEY_PREFIX) and "/" in dedupe_key:
        return dedupe_key.rsplit("/", 1)[1]
    return None


def message_id(raw: bytes) -> str | None:
    """The Message-ID as written (unfolded, stripped), or None when absent or unreadable."""
    try:
        value = BytesHeaderParser(policy=policy.compat32).parsebytes(raw).get("Message-ID")
    except Exception:  # noqa: BLE001 — a header too broken to read is simply absent
        return None
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    return text or None


def content_hash(raw: bytes) -> str:
    """sha256 of the header without trace fields, then the body; line endings made one."""
    text = raw.replace(b"\r\n", b"\n")
    found = _HEADER_END.search(text)
    head, body = (text[: found.start()], text[found.end() :]) if found else (text, b"")
    digest = hashlib.sha256()
    for field in _fields(head):
        name = field.split(b":", 1)[0].strip().lower().decode("latin-1")
        if name in _TRACE or name.startswith("arc-"):
            continue
        digest.update(field + b"\n")
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def _fields(head: bytes) -> list[bytes]:
    """Header fields with their folded continuation lines (RFC 5322 §2.2.3)."""
    fields: list[bytes] = []
    for line in head.split(b"\n"):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += b"\n" + line
        else:
            fields.append(line)
    return fields
