"""Signed reply tokens, our Message-IDs and subject tags: what ties a reply to its draft.

Errors::

    ValueError
    └── TokenError            a reply token we cannot trust
        ├── TokenMalformed    truncated, mangled, not one of ours
        └── TokenForged       well-formed, but no key signs it
"""

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from email.utils import parseaddr
from typing import NamedTuple

# Consultation ids look like CRM-2026-007; countries are ISO 3166 alpha-2 or alpha-3 codes.
_ID = r"[A-Z0-9]{1,20}(?:-[A-Z0-9]{1,20}){0,4}"
_COUNTRY = r"[A-Z]{2,3}"
_VERSION = r"[1-9][0-9]{0,8}"
_NONCE = r"[A-Za-z0-9_-]{1,64}"
_DOMAIN = r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"

TAG_BYTES = 10  # 80 bits of HMAC-SHA256: far beyond guessing by mail, and short enough to fit
_TAG_CHARS = 16  # base32 of 10 bytes, no padding
_MIN_SECRET_BYTES = 16
# Domain separation: the same keys sign reply tokens and Message-ID nonces; a tag made for one
# never verifies as the other.
_CONTEXT = b"consulta/reply-token/1\x00"
_NONCE_CONTEXT = b"consulta/message-id/1\x00"
# A signed nonce: the outbox row, then the tag (lowercase base32, as in tokens).
_SIGNED_NONCE = re.compile(rf"o(?P<row>[0-9]{{1,18}})-(?P<tag>[a-z2-7]{{{_TAG_CHARS}}})", re.I)
# RFC 5321 4.5.3.1.1: a local part is at most 64 octets.
MAX_LOCAL_PART = 64

# Mail systems may lowercase the local part (RFC 5321 lets the receiving host decide), so the
# token is lowercase only: base32 for the tag, dots between fields, nothing that needs quoting.
_TOKEN = re.compile(
    rf"(?P<id>{_ID})\.v(?P<version>{_VERSION})\.(?P<country>{_COUNTRY})"
    rf"\.(?P<tag>[A-Z2-7]{{{_TAG_CHARS}}})",
    re.IGNORECASE,
)
_MESSAGE_ID = re.compile(
    rf"\s*(<)?consulta\.(?P<id>{_ID})\.v(?P<version>{_VERSION})\.(?P<country>{_COUNTRY})"
    rf"\.(?P<nonce>{_NONCE})@(?P<domain>{_DOMAIN})(?(1)>)\s*",
    re.IGNORECASE,
)
# Anywhere in the subject: "RE: AW: RV: Fwd:" prefixes and list tags come and go around it.
_SUBJECT_TAG = re.compile(
    rf"\[\s*(?P<id>{_ID})\s+v\s*(?P<version>[0-9]{{1,9}})\s*\]", re.IGNORECASE
)


class TokenError(ValueError):
    """A reply token we cannot trust; the reply goes to review with the reason."""


class TokenMalformed(TokenError):
    """Not a token of ours: truncated, mangled by a mail system, or made up."""


class TokenForged(TokenError):
    """Shaped like ours, but no current or previous key signs it."""


class TokenClaims(NamedTuple):
    consultation_id: str
    version: int
    country: str


class MessageIdParts(NamedTuple):
    consultation_id: str
    version: int
    country: str


class SubjectTag(NamedTuple):
    consultation_id: str
    version: int


def make_token(*, consultation_id: str, version: int, country: str, secret: bytes) -> str:
    """A lowercase token naming consultation, version and country, signed with `secret`."""
    _check_fields(consultation_id, version, country)
    if len(secret) < _MIN_SECRET_BYTES:
        raise ValueError(f"token secret must be at least {_MIN_SECRET_BYTES} bytes")
    tag = _tag(secret, consultation_id, version, country)
    encoded = base64.b32encode(tag).decode("ascii").lower()
    return f"{consultation_id}.v{version}.{country}.{encoded}".lower()


def read_token(token: str, *, secrets: Sequence[bytes]) -> TokenClaims:
    """Check a token against every key (first signs, all verify) and return what it names."""
    if not secrets:
        raise ValueError("at least one token secret is needed")
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        raise TokenMalformed(f"not a reply token: {token[:80]!r}")
    claims = TokenClaims(match["id"].upper(), int(match["version"]), match["country"].upper())
    given = base64.b32decode(match["tag"].upper())
    for secret in secrets:
        if hmac.compare_digest(given, _tag(secret, *claims)):
            return claims
    raise TokenForged(f"no key signs the token for {claims.consultation_id} v{claims.version}")


def _tag(secret: bytes, consultation_id: str, version: int, country: str) -> bytes:
    message = _CONTEXT + f"{consultation_id}\x00{version}\x00{country}".encode("ascii")
    return hmac.new(secret, message, hashlib.sha256).digest()[:TAG_BYTES]


def _check_fields(consultation_id: str, version: int, country: str) -> None:
    if not re.fullmatch(_ID, consultation_id):
        raise ValueError(f"consultation id must look like CRM-2026-007: {consultation_id!r}")
    if not re.fullmatch(_COUNTRY, country):
        raise ValueError(f"country must be an upper-case ISO code: {country!r}")
    if not re.fullmatch(_VERSION, str(version)):
        raise ValueError(f"version must be a positive integer: {version!r}")


def reply_address(*, local: str, domain: str, token: str) -> str:
    """The plus-address a focal point replies to: ``consultas+TOKEN@domain``."""
    if not local or any(c in local for c in '+@ <>"'):
        raise ValueError(f"bad local part: {local!r}")
    if not re.fullmatch(_DOMAIN, domain):
        raise ValueError(f"bad domain: {domain!r}")
    local_part = f"{local}+{token}"
    if len(local_part) > MAX_LOCAL_PART:
        raise ValueError(f"local part longer than {MAX_LOCAL_PART} octets: {local_part!r}")
    return f"{local_part}@{domain}"


def token_from_address(addr: str, *, local: str) -> str | None:
    """The token in ``local+TOKEN@…`` (display name and case ignored), or None."""
    _, address = parseaddr(addr)
    mailbox, at, _ = address.rpartition("@")
    if not at:
        return None
    base, plus, token = mailbox.partition("+")
    if not plus or base.lower() != local.lower() or not token:
        return None
    return token


def message_id(*, consultation_id: str, version: int, country: str, domain: str, nonce: str) -> str:
    """Our Message-ID, ``<consulta.{id}.v{n}.{country}.{nonce}@{domain}>`` (DESIGN §6)."""
    _check_fields(consultation_id, version, country)
    if not re.fullmatch(_NONCE, nonce):
        raise ValueError(f"nonce must be letters, digits, '_' or '-': {nonce!r}")
    if not re.fullmatch(_DOMAIN, domain):
        raise ValueError(f"bad domain: {domain!r}")
    return f"<consulta.{consultation_id}.v{version}.{country}.{nonce}@{domain}>"


def parse_message_id(mid: str, *, domain: str | None = None) -> MessageIdParts | None:
    """What one of our Message-IDs names, or None; with `domain`, only ids from that domain."""
    match = _MESSAGE_ID.fullmatch(mid)
    if match is None:
        return None
    if domain is not None and match["domain"].lower() != domain.lower():
        return None
    return MessageIdParts(match["id"].upper(), int(match["version"]), match["country"].upper())


def signed_nonce(
    *, consultation_id: str, version: int, country: str, row_id: int, secret: bytes
) -> str:
    """The nonce of our Message-IDs, ``o{row}-{tag}``: a pure function of the outbox row (a
    retry resends the very same message) whose tag only we can make, so that a reference to one
    of our Message-IDs proves the reply answers our mail (the format alone is guessable)."""
    _check_fields(consultation_id, version, country)
    tag = _nonce_tag(secret, consultation_id, version, country, row_id)
    return f"o{row_id}-{base64.b32encode(tag).decode('ascii').lower()}"


def verified_message_id(
    mid: str, *, domain: str, secrets: Sequence[bytes]
) -> MessageIdParts | None:
    """What one of our Message-IDs names, only when its nonce carries a tag a key of ours made.
    Old unsigned nonces (``o{row}``) prove nothing and give None, like anyone's Message-ID."""
    parts = parse_message_id(mid, domain=domain)
    found = _MESSAGE_ID.fullmatch(mid)
    signed = _SIGNED_NONCE.fullmatch(found["nonce"]) if found is not None else None
    if parts is None or signed is None:
        return None
    given = base64.b32decode(signed["tag"].upper())
    row_id = int(signed["row"])
    for secret in secrets:
        expected = _nonce_tag(secret, parts.consultation_id, parts.version, parts.country, row_id)
        if hmac.compare_digest(given, expected):
            return parts
    return None


def outbox_row_of(mid: str, *, domain: str, secrets: Sequence[bytes]) -> int | None:
    """The outbox row one of our signed Message-IDs was made for (e.g. to tell a reply to a
    receipt); None for anyone else's, or an unsigned one."""
    found = _MESSAGE_ID.fullmatch(mid)
    signed = _SIGNED_NONCE.fullmatch(found["nonce"]) if found is not None else None
    if signed is None or verified_message_id(mid, domain=domain, secrets=secrets) is None:
        return None
    return int(signed["row"])


def _nonce_tag(secret: bytes, consultation_id: str, version: int, country: str, row: int) -> bytes:
    message = _NONCE_CONTEXT + f"{consultation_id}\x00{version}\x00{country}\x00{row}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()[:TAG_BYTES]


def subject_tag(consultation_id: str, version: int) -> str:
    """The tag we put in subjects, ``[CRM-2026-007 v2]``."""
    if not re.fullmatch(_ID, consultation_id) or not re.fullmatch(_VERSION, str(version)):
        raise ValueError(f"bad subject tag fields: {consultation_id!r} v{version!r}")
    return f"[{consultation_id} v{version}]"


def find_subject_tag(subject: str) -> SubjectTag | None:
    """The first tag in a (decoded) subject, whatever prefixes, spacing and case it gathered."""
    for match in _SUBJECT_TAG.finditer(subject):
        version = int(match["version"])
        if version > 0:
            return SubjectTag(match["id"].upper(), version)
    return None


# -- VERP: the envelope sender of each notice names its outbox row and its recipient ----------

# Its own domain-separation context: a VERP tag can never pass for a reply token, nor the reverse.
_VERP_CONTEXT = b"consulta/verp/1\x00"
# ``b.{outbox row}.{tag}``: the recipient is not spelled out (it would not fit in 64 octets, and
# would show the address to anyone who reads the envelope); the tag binds it, and the reader
# finds it among the row's few addresses.
_VERP = re.compile(rf"b\.(?P<row>[1-9][0-9]{{0,17}})\.(?P<tag>[A-Z2-7]{{{_TAG_CHARS}}})", re.I)


def make_verp(*, row_id: int, recipient: str, secret: bytes) -> str:
    """The lowercase token ``b.{row}.{tag}``: the envelope sender of one notice to one address."""
    if row_id < 1:
        raise ValueError(f"outbox row id must be positive: {row_id!r}")
    if len(secret) < _MIN_SECRET_BYTES:
        raise ValueError(f"token secret must be at least {_MIN_SECRET_BYTES} bytes")
    tag = base64.b32encode(_verp_tag(secret, row_id, recipient)).decode("ascii").lower()
    return f"b.{row_id}.{tag}"


def verp_address(*, local: str, domain: str, row_id: int, recipient: str, secret: bytes) -> str:
    """``local+b.{row}.{tag}@domain``: where a bounce of this notice to ``recipient`` returns."""
    token = make_verp(row_id=row_id, recipient=recipient, secret=secret)
    return reply_address(local=local, domain=domain, token=token)


def verp_row(token: str) -> int:
    """The outbox row a VERP token names (not yet verified: see `verp_recipient`)."""
    match = _VERP.fullmatch(token.strip())
    if match is None:
        raise TokenMalformed(f"not a VERP token: {token[:80]!r}")
    return int(match["row"])


def verp_recipient(token: str, *, candidates: Sequence[str], secrets: Sequence[bytes]) -> str:
    """The one of ``candidates`` (the row's addresses) that some key signs ``token`` for."""
    if not secrets:
        raise ValueError("at least one token secret is needed")
    row_id = verp_row(token)
    match = _VERP.fullmatch(token.strip())
    assert match is not None
    given = base64.b32decode(match["tag"].upper())
    for address in candidates:
        for secret in secrets:
            if hmac.compare_digest(given, _verp_tag(secret, row_id, address)):
                return address.lower()
    raise TokenForged(f"no key signs the VERP token for outbox row {row_id}")


def _verp_tag(secret: bytes, row_id: int, recipient: str) -> bytes:
    message = _VERP_CONTEXT + f"{row_id}\x00{recipient.strip().lower()}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()[:TAG_BYTES]
