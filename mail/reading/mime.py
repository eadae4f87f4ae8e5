"""The MIME side of a message: its text parts decoded, its attachments, its headers."""

from __future__ import annotations

import codecs
import email
import email.errors
import email.header
import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message

# Text parts past this size are cut: the sender's own words come first and a reader must not
# spend seconds on a pathological body.
MAX_TEXT_CHARS = 1_000_000
MAX_ATTACHMENT_BYTES = 15_000_000

_CHARSET_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "latin-1",
    "unknown-8bit": "latin-1",
    "ks_c_5601-1987": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "x-user-defined": "latin-1",
}


@dataclass(frozen=True)
class Attachment:
    """A non-text part kept for later reading (e.g. a .docx)."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Parts:
    """What the reader needs from a parsed message."""

    message: Message
    plain: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    embedded: list[str] = field(default_factory=list)  # text of attached message/rfc822 parts


def parse(raw: bytes) -> Message:
    """Parse raw RFC 5322 bytes; never raises on malformed input."""
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def header(message: Message, name: str) -> str:
    """A header decoded to text (RFC 2047 words resolved), or an empty string."""
    value = message.get(name)
    if value is None:
        return ""
    try:
        parts = email.header.decode_header(str(value))
    except (ValueError, LookupError, email.errors.HeaderParseError):
        return str(value)
    text = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            text.append(decode_bytes(chunk, charset))
        else:
            text.append(chunk)
    return re.sub(r"\s+", " ", "".join(text)).strip()


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes to text in the declared charset; unknown charsets fall back to UTF-8, then Latin-1."""
    name = (charset or "").strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    candidates = [name] if name else []
    candidates += ["utf-8", "cp1252"]
    for candidate in candidates:
        try:
            codecs.lookup(candidate)
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def part_text(part: Message) -> str:
    """A text part's decoded content (transfer encoding and charset), cut to a sane size."""
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, AssertionError):  # pragma: no cover - defensive: broken encodings
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw[:MAX_TEXT_CHARS] if isinstance(raw, str) else ""
    text = decode_bytes(payload[: MAX_TEXT_CHARS * 4], part.get_content_charset())
    if param(part, "format") == "flowed":
        text = unflow(text, delsp=param(part, "delsp") == "yes")
    return text[:MAX_TEXT_CHARS]


def param(part: Message, name: str) -> str:
    """A Content-Type parameter as lower-case text ("" if absent)."""
    value = part.get_param(name)
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return (value or "").strip().lower()


def unflow(text: str, *, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed soft line breaks."""
    out: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if out and out[-1].endswith(" ") and out[-1] != "-- " and _depth(out[-1]) == _depth(line):
            previous = out.pop()
            previous = previous[:-1] if delsp else previous
            line = previous + line[_depth(line) :].lstrip(" ") if _depth(line) else previous + line
        out.append(line)
    return "\n".join(out)


def _depth(line: str) -> int:
    stripped = line.lstrip(">")
    return len(line) - len(stripped)


def collect(raw: bytes) -> Parts:
    """Keep the first text/plain, the first text/html, attachments and embedded messages."""
    message = parse(raw)
    parts = Parts(message=message)
    _visit(message, parts, embedded=False, depth=0)
    return parts


def _visit(part: Message, parts: Parts, *, embedded: bool, depth: int) -> None:
    content_type = part.get_content_type()
    parts.content_types.append(content_type)
    if depth > 20:  # a crafted message nests without end; nothing useful lives that deep
        return
    if part.is_multipart():
        inside = embedded or content_type == "message/rfc822"
        payload = part.get_payload()
        for child in payload if isinstance(payload, list) else []:
            if isinstance(child, Message):
                _visit(child, parts, embedded=inside, depth=depth + 1)
        return
    if content_type.startswith("multipart/"):
        # Declared multipart but no boundary line found (a broken gateway): mail clients show
        # the body as text, and so do we, rather than read nothing.
        content_type = "text/plain"
    filename = _filename(part)
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    is_attachment = disposition == "attachment" or bool(filename)
    if embedded:
        if content_type == "text/plain" and not is_attachment:
            parts.embedded.append(part_text(part))
        return
    if content_type == "text/plain" and not is_attachment and parts.plain is None:
        parts.plain = part_text(part)
    elif content_type == "text/html" and not is_attachment and parts.html is None:
        parts.html = part_text(part)
    elif is_attachment or content_type.startswith("application/"):
        data = _payload_bytes(part)
        if data is not None:
            parts.attachments.append(Attachment(filename, content_type, data))


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except (ValueError, LookupError):  # pragma: no cover - defensive
        return ""
    if "=?" in name:
        decoded = []
        for chunk, charset in email.header.decode_header(name):
            decoded.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
        name = "".join(decoded)
    return re.sub(r"\s+", " ", name).strip()


def _payload_bytes(part: Message) -> bytes | None:
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, AssertionError):  # pragma: no cover - defensive
        return None
    if not isinstance(payload, bytes) or len(payload) > MAX_ATTACHMENT_BYTES:
        return None
    return payload


def walk_headers(message: Message, name: str) -> list[str]:
    """The values of one header in every part, including delivery-status blocks."""
    values: list[str] = []
    for part in message.walk():
        for value in part.get_all(name) or []:
            values.append(str(value))
    return values
