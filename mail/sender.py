"""Who a message says it is from: exactly one mailbox, read strictly, or a reason to hold it.

A country's answer is only as good as the address it is read from, and mail parsers disagree
on odd headers (``<focal@gt>attacker@evil`` is the focal point to one reader, two addresses to
another). So the From header is read twice, by ``email.headerregistry`` (RFC 5322 grammar) and
by ``email.utils.getaddresses`` (the older, lenient reader; strict mode where this Python has
it), and held whenever anything is unusual:

- no From, or more than one From header (RFC 5322 §3.6 allows exactly one);
- more than one mailbox, or group syntax (``undisclosed: focal@gt;``): RFC 5322 §3.6.2 then
  requires a Sender, and we answer for one person only;
- a header the RFC 5322 parser calls invalid, or the two readers disagreeing about the address;
- a Sender header naming someone else (RFC 5322 §3.6.2: Sender is who actually sent it; a
  message sent on a focal point's behalf by another mailbox is not the focal point's own).
"""

import inspect
from dataclasses import dataclass
from email import errors
from email.headerregistry import AddressHeader
from email.message import EmailMessage
from email.utils import getaddresses
from enum import StrEnum

from mail.parsing import POLICY


class SenderProblem(StrEnum):
    """Why the sender of a message cannot be known (also a hold reason, see ``held``)."""

    NO_FROM = "no_from"  # no From header, or one with no usable address
    AMBIGUOUS_FROM = "ambiguous_from"  # two From headers, two mailboxes, a group, a parser trick
    SENDER_DIFFERS = "sender_differs"  # Sender names another mailbox than From


@dataclass(frozen=True)
class Sender:
    address: str | None  # lower-case addr-spec, set only when there is no problem
    problem: SenderProblem | None = None
    shown: str | None = None  # for the record even when held: the first address a reader sees


# Python 3.11.10+/3.12.6+ backported `strict` (CVE-2023-27043); older 3.11 lacks it, and then
# headerregistry's verdict and the left-over check below do the strict part.
_STRICT = "strict" in inspect.signature(getaddresses).parameters


def read_sender(message: EmailMessage) -> Sender:
    """The one mailbox a message is from, or the problem that stops us knowing it."""
    values = header_values(message, "From")
    if not values:
        return Sender(None, SenderProblem.NO_FROM)
    first = _lenient(values[0])
    shown = first[0] if first else None
    if len(values) > 1:
        return Sender(None, SenderProblem.AMBIGUOUS_FROM, shown)
    address, problem = _one_mailbox(values[0])
    if address is None:
        return Sender(None, problem or SenderProblem.AMBIGUOUS_FROM, shown)
    senders = header_values(message, "Sender")
    if senders and (len(senders) > 1 or _one_mailbox(senders[0])[0] != address):
        return Sender(None, SenderProblem.SENDER_DIFFERS, address)
    return Sender(address, None, address)


def _one_mailbox(raw: str) -> tuple[str | None, SenderProblem | None]:
    strict = _registry(raw)
    lenient = _lenient(raw)
    if not lenient or lenient == [""]:
        return None, SenderProblem.NO_FROM
    if strict is None or lenient != [strict]:
        return None, SenderProblem.AMBIGUOUS_FROM
    return strict, None


def _registry(raw: str) -> str | None:
    """The single mailbox per RFC 5322, or None for groups, lists and invalid syntax."""
    header = POLICY.header_factory("From", raw)
    assert isinstance(header, AddressHeader)
    # Obsolete syntax (an unquoted "J. Smith") is still unambiguous; invalid syntax is not.
    defects = getattr(header, "defects", ())  # BaseHeader's, missing from AddressHeader's stub
    if any(not isinstance(d, errors.ObsoleteHeaderDefect) for d in defects):
        return None
    if len(header.groups) != 1 or header.groups[0].display_name is not None:
        return None
    [group] = header.groups
    if len(group.addresses) != 1:
        return None
    local, domain = group.addresses[0].username, group.addresses[0].domain
    if not local or not domain:
        return None
    return f"{local}@{domain}".lower()


def _lenient(raw: str) -> list[str]:
    pairs = getaddresses([raw], strict=True) if _STRICT else getaddresses([raw])  # type: ignore[call-arg,unused-ignore]
    return [address.strip().lower() for _, address in pairs]


def header_values(message: EmailMessage, name: str) -> list[str]:
    """The header's values as they arrived, unfolded (RFC 5322 §2.2.3), before any decoding."""
    return [
        str(value).replace("\r\n", "").replace("\n", "")
        for key, value in message.raw_items()
        if key.lower() == name.lower()
    ]
