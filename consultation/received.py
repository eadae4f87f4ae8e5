"""A received message as a person reads it: its headers, the sender's own words, its attachments.

Shared by `consulta review show` and the export's appendix, so both show the same message the
same way. The raw bytes are kept as they came (``InboundMessageRow.raw``); nothing here changes
them.
"""

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from store.tables import InboundMessageRow

HEADERS = ("From", "To", "Cc", "Date", "Subject", "Message-ID")


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def headers(message: EmailMessage) -> list[tuple[str, str]]:
    return [(name, str(message[name])) for name in HEADERS if message[name] is not None]


def own_words(row: InboundMessageRow, message: EmailMessage | None = None) -> str:
    """The sender's own words as the reader cut them (quotes and signatures left out); the
    plain body when the message was never read (held before reading, e.g. an untrusted sender)."""
    own = str((row.reading or {}).get("own_text") or "").strip()
    if own or row.header_only or message is None:
        return own
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        return ""
    try:
        return str(body.get_content()).strip()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding: say nothing
        return ""


def attachments(message: EmailMessage) -> list[dict[str, Any]]:
    """Name, type and decoded size of each attached file."""
    found = []
    for part in message.walk():
        if part.is_multipart() or not (part.get_filename() or part.is_attachment()):
            continue
        payload = part.get_payload(decode=True)
        found.append(
            {
                "name": part.get_filename() or "",
                "type": part.get_content_type(),
                "size": len(payload) if isinstance(payload, bytes) else 0,
            }
        )
    return found
