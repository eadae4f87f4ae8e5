"""What a delivery report says happened to each recipient: read by its fields (RFC 3464, RFC
3463), and only where it has none by Mailman's `flufl.bounce` detectors.

A report's words ("Undeliverable", "Delivery Status Notification") say nothing about the outcome:
RFC 3464 sends delay warnings and positive reports in the same shape as failures. So the
``Action`` and ``Status`` fields of each per-recipient block decide, and the human-readable part
is read only for reports that carry no machine-readable part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from email import message_from_string
from email.message import Message
from typing import Literal

import flufl.bounce

from mail.reading.normal import fold

Action = Literal["failed", "delayed", "delivered", "relayed", "expanded"]
Source = Literal["rfc3464", "flufl", "phrasing", "none"]

_ACTIONS: frozenset[str] = frozenset({"failed", "delayed", "delivered", "relayed", "expanded"})
# RFC 3463 §3.1: the class digit says success (2), persistent transient (4) or permanent (5).
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# Said by delay warnings that carry no fields (sendmail's "Warning: could not send message for
# past 4 hours", Exim's "has not yet been delivered", Exchange's "Delivery Delayed"). Strict on
# purpose: failures often say "temporary" or "retry" too, while a warning says it is one.
_WARNING = re.compile(
    r"\bdelay(ed)?\b|not yet been delivered|will (continue|keep) (trying|to try)|"
    r"delivery attempts will continue|no action is required|this is a warning|"
    r"warning message only|still being retried|will be retried|i'll keep trying",
    re.I,
)
# Phrasings that give the address on the same line, which no flufl.bounce detector knows.
_PHRASED = re.compile(
    r"(?:delivery failed \d+ attempts?|undeliverable address|was not delivered to|"
    r"could not be delivered to)\s*:\s*<?([\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+)>?|"
    r"(?:the following )?message to <?([\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+)>? "
    r"(?:was|is|could not be) undeliverable",
    re.I,
)
# A line announcing the recipients listed on the lines after it (sendmail, GroupWise, Exchange,
# Netscape, LLNL, "simple" formats), in the languages gateways write them in.
_HEADING = re.compile(
    r"following (destination |email |e-mail )?(addresses|address(\(es\))?|recipients?"
    r"(\(s\))?)|these recipients|address(\(es\))? failed|destination addresses were unknown|"
    r"siguientes destinatarios|seguintes destinatarios|destinataires suivants|"
    r"folgenden empfanger|volgende ontvangers|destinatari seguenti|"
    r"did not reach the following|could not be delivered to|cannot be reached"
)
# A listed recipient: the address first on its line, maybe after "SMTP", a quote or "<".
_LISTED = re.compile(
    r"^\s*(?:smtp\s*:?\s*|rfc822\s*;\s*|failed recipient\s*:\s*|recipient\s*:\s*)?['\"<]?"
    r"([\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+)",
    re.I,
)
_HEADING_LINES = 40  # a listing never runs longer; nor does the search for its first line
_SEVERITY: dict[str, int] = {"failed": 3, "delayed": 2, "delivered": 1, "relayed": 1, "expanded": 1}


@dataclass(frozen=True)
class RecipientReport:
    """One per-recipient block (RFC 3464 §2.3), or what a detector found for one address."""

    action: Action
    address: str  # the Original-Recipient when given (the address we sent to), else the Final
    status: str = ""  # RFC 3463, e.g. "5.1.1"; "" when the report gives none
    final: str = ""
    original: str = ""
    diagnostic: str = ""


@dataclass(frozen=True)
class DeliveryReport:
    source: Source
    recipients: tuple[RecipientReport, ...]

    @property
    def action(self) -> Action | None:
        """The gravest outcome reported: one failed recipient makes the report a failure."""
        if not self.recipients:
            return None
        return max(self.recipients, key=lambda r: _SEVERITY[r.action]).action

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.address for r in self.recipients if r.address))

    def about(self, address: str) -> RecipientReport | None:
        """The block for ``address`` (as sent or as finally delivered), else the gravest one."""
        wanted = address.lower()
        for report in self.recipients:
            if wanted in (report.original, report.final, report.address):
                return report
        action = self.action
        return next((r for r in self.recipients if r.action == action), None)


def read_report(message: Message) -> DeliveryReport:
    """RFC 3464 fields first; `flufl.bounce` for the formats that have none."""
    fields = rfc3464(message)
    if fields:
        return DeliveryReport("rfc3464", fields)
    detected = detected_by_flufl(message)
    if detected and _warns(message):  # Exim's warning quotes "RCPT TO:<…>" like its failures
        detected = tuple(replace(r, action="delayed") for r in detected)
    if detected:
        return DeliveryReport("flufl", detected)
    phrased = _phrased(message)
    return DeliveryReport("phrasing" if phrased else "none", phrased)


def guessed_action(message: Message, text: str) -> Action:
    """For a report nobody could read: a delay warning by its words, otherwise a failure."""
    subject = str(message.get("Subject", ""))
    return "delayed" if _WARNING.search(subject + "\n" + text[:5000]) else "failed"


def _warns(message: Message) -> bool:
    return guessed_action(message, _first_text(message)) == "delayed"


def _first_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


def _phrased(message: Message) -> tuple[RecipientReport, ...]:
    text = _first_text(message)[:100_000]
    action = guessed_action(message, text)
    found = dict.fromkeys(
        (m.group(1) or m.group(2)).lower().strip(".") for m in _PHRASED.finditer(text)
    )
    found.update(dict.fromkeys(_listed(text)))
    return tuple(RecipientReport(action, address) for address in found)


def _listed(text: str) -> list[str]:
    """Addresses on the lines after a heading ("… to the following recipients:"): the first
    run of lines that each begin with one, up to a blank or another line."""
    lines = text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if len(line) > 300 or not _HEADING.search(fold(line)):
            continue
        found = _run_of_addresses(lines[index + 1 : index + 1 + _HEADING_LINES])
        if found:
            return found
    return []


def _run_of_addresses(lines: list[str]) -> list[str]:
    found: list[str] = []
    blank_seen = False
    for line in lines:
        match = _LISTED.match(line) if len(line) < 300 else None
        if match:
            found.append(match.group(1).lower().strip("."))
        elif found:
            if not line.strip() or not line.startswith((" ", "\t")):
                break  # the listing ended (indented lines under an address are its diagnostic)
        elif not line.strip():
            blank_seen = True
        elif blank_seen:
            break  # prose after the heading, not a listing
        # else: the heading wrapped onto this line ("…unknown (please check\nthe addresses):")
    return found


# -- RFC 3464 ---------------------------------------------------------------------------------


def rfc3464(message: Message) -> tuple[RecipientReport, ...]:
    """Every per-recipient block of every ``message/delivery-status`` part."""
    found: list[RecipientReport] = []
    for part in message.walk():
        # RFC 6533 names the internationalised variant message/global-delivery-status.
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        for block in _blocks(part)[1:]:  # the first block is about the message (§2.2)
            report = _recipient(block)
            if report is not None:
                found.append(report)
    return tuple(found)


def _blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list) and all(isinstance(p, Message) for p in payload):
        return list(payload)
    # A report whose part the parser left as text: its blocks are header blocks split by blank
    # lines (RFC 3464 §2.1).
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    chunks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [message_from_string(chunk.strip() + "\n\n") for chunk in chunks if chunk.strip()]


def _recipient(block: Message) -> RecipientReport | None:
    final = _address_field(block.get("Final-Recipient"))
    original = _address_field(block.get("Original-Recipient"))
    if not (final or original):
        return None
    status_match = _STATUS.search(str(block.get("Status", "")))
    status = status_match.group(0) if status_match else ""
    action = _action(str(block.get("Action", "")), status)
    if action is None:
        return None
    diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
    if ";" in diagnostic:
        diagnostic = diagnostic.split(";", 1)[1].strip()
    return RecipientReport(action, original or final, status, final, original, diagnostic[:500])


def _action(value: str, status: str) -> Action | None:
    word = value.strip().lower().split(" ", 1)[0].strip(";")
    if word in _ACTIONS:
        return word  # type: ignore[return-value]
    # Older gateways: "Action: failure"/"error"/"deliverable"; or none at all, then the
    # status class decides (RFC 3463 §3.1).
    if word.startswith(("fail", "error")):
        return "failed"
    if word.startswith("deliver"):
        return "delivered"
    if status:
        return {"2": "delivered", "4": "delayed", "5": "failed"}[status[0]]  # type: ignore[return-value]
    return None


def _address_field(value: object) -> str:
    """``rfc822; user@example`` (RFC 3464 §2.3.1, §2.3.2) to ``user@example``."""
    if value is None:
        return ""
    text = str(value)
    kind, semicolon, address = text.partition(";")
    if not semicolon:
        address = kind
    elif kind.strip().lower() not in ("rfc822", "utf-8"):
        return ""
    found = _ADDRESS.search(address)
    return found.group(0).lower().strip(".") if found else ""


# -- flufl.bounce -----------------------------------------------------------------------------


def detected_by_flufl(message: Message) -> tuple[RecipientReport, ...]:
    """Mailman's detectors: temporary failures read as delays, permanent ones as failures."""
    try:
        temporary, permanent = flufl.bounce.all_failures(message)
    except Exception:  # noqa: BLE001 — a detector choking on odd input means "found nothing"
        return ()
    reports = [RecipientReport("failed", a) for a in _decoded(permanent)]
    reports += [
        RecipientReport("delayed", a) for a in _decoded(temporary) if a not in _decoded(permanent)
    ]
    return tuple(reports)


def _decoded(addresses: frozenset[bytes]) -> list[str]:
    found = (a.decode("ascii", "replace").strip().strip("<>").lower() for a in addresses)
    return sorted(a for a in found if _ADDRESS.fullmatch(a))
