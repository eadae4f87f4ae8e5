"""A received message as a person reads it: headers, own words, body (sanitised), attachments.

Shared by `consulta review show`, the export's appendix and the web console, so all show the
same message the same way. The raw bytes are kept as they came (``InboundMessageRow.raw``);
nothing here changes them.
"""

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, MIMEPart
from typing import Any

import nh3

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
        if not _is_file(part):
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


# What a sanitised message body may keep: text structure only. No images (a remote image is a
# read receipt for its sender), no styles, scripts, forms, frames or event handlers.
_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "ins",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
# Types a browser may be handed as they are; anything else (HTML, SVG, scripts) is bytes.
_SAFE_TYPES = {
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
    "text/plain",
    "text/markdown",
    "image/png",
    "image/jpeg",
    "image/gif",
}
_UNSAFE_NAME = re.compile(r"[^\w.() -]+")


@dataclass(frozen=True)
class Body:
    """A message's body for a page: sanitised HTML when it has an HTML part, else plain text
    (the page escapes it)."""

    html: str
    text: str


@dataclass(frozen=True)
class File:
    name: str  # safe to put in a Content-Disposition header
    content_type: str
    data: bytes


def body(message: EmailMessage) -> Body:
    part = message.get_body(preferencelist=("html", "plain"))
    content = _content(part) if part is not None else ""
    if part is not None and part.get_content_type() == "text/html":
        return Body(html=sanitised(content), text="")
    return Body(html="", text=content)


def sanitised(html: str) -> str:
    """The HTML with a strict allow-list: links open nowhere near us (``noopener
    noreferrer``) and only to web and mail addresses."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def attachment(message: EmailMessage, index: int) -> File | None:
    """The ``index``-th attached file (the order of ``attachments``), to download."""
    parts = [p for p in message.walk() if _is_file(p)]
    if not 0 <= index < len(parts):
        return None
    part = parts[index]
    payload = part.get_payload(decode=True)
    kind = part.get_content_type()
    return File(
        name=safe_filename(part.get_filename() or "", index),
        content_type=kind if kind in _SAFE_TYPES else "application/octet-stream",
        data=payload if isinstance(payload, bytes) else b"",
    )


def safe_filename(name: str, index: int) -> str:
    """The sender's file name without paths, quotes or control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE_NAME.sub("_", base).strip(" .")[:120]
    return cleaned or f"attachment-{index + 1}"


def _is_file(part: MIMEPart) -> bool:
    return not part.is_multipart() and bool(part.get_filename() or part.is_attachment())


def _content(part: MIMEPart) -> str:
    try:
        return str(part.get_content())
    except (LookupError, ValueError):  # an unknown charset or a broken encoding: say nothing
        return ""
