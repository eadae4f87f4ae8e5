"""Which consultation, version and country an inbound message answers (DESIGN §6).

Tried in order of trust: the signed token in the plus-address we set as Reply-To (also found in
Delivered-To / X-Original-To when a client replies to From), then our Message-IDs in
In-Reply-To / References whose nonce carries a tag we verify. Either is a *proof of link*: the
message answers mail we sent to that country (only its focal points received the token or the
Message-ID). A subject tag like ``[CRM-2026-007 v2]``, or one of our Message-IDs without a valid
tag (the format is public, and nonces before tags were an outbox row number), is only a *hint*:
anyone can type it, so it may say which consultation a held message concerns, never make an
answer count.
"""

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Literal

from mail import tokens

Via = Literal["token", "references", "hint"]
_ADDRESS_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass(frozen=True)
class Match:
    consultation_id: str
    version: int
    country: str | None  # None when only a subject tag hinted at it
    via: Via

    @property
    def proven(self) -> bool:
        """The message proves it answers our mail to ``country`` (see the module)."""
        return self.via != "hint"


@dataclass(frozen=True)
class Matching:
    match: Match | None
    problem: str | None = None  # token_forged | token_malformed


def match_message(
    message: EmailMessage, *, local: str, domain: str, secrets: tuple[bytes, ...]
) -> Matching:
    problem = None
    for token in _tokens(message, local):
        try:
            claims = tokens.read_token(token, secrets=secrets)
        except tokens.TokenForged:
            problem = "token_forged"
            continue
        except tokens.TokenMalformed:
            problem = problem or "token_malformed"
            continue
        return Matching(Match(claims.consultation_id, claims.version, claims.country, "token"))
    if problem:  # a token was there and failed: never fall back to weaker evidence
        return Matching(None, problem)
    references = _referenced_ids(message)
    for mid in references:
        parts = tokens.verified_message_id(mid, domain=domain, secrets=secrets)
        if parts is not None:
            return Matching(
                Match(parts.consultation_id, parts.version, parts.country, "references")
            )
    return Matching(_hint(message, references, domain))


def _hint(message: EmailMessage, references: list[str], domain: str) -> Match | None:
    """Which consultation an unproven message seems to concern, for the person who reviews it;
    no country: an unverified reference could name any."""
    for mid in references:
        parts = tokens.parse_message_id(mid, domain=domain)
        if parts is not None:
            return Match(parts.consultation_id, parts.version, None, "hint")
    tag = tokens.find_subject_tag(str(message.get("Subject", "")))
    if tag is not None:
        return Match(tag.consultation_id, tag.version, None, "hint")
    return None


def _tokens(message: EmailMessage, local: str) -> list[str]:
    found: list[str] = []
    for header in _ADDRESS_HEADERS:
        for _, address in getaddresses([str(v) for v in message.get_all(header, [])]):
            token = tokens.token_from_address(address, local=local)
            if token and token not in found:
                found.append(token)
    return found


def _referenced_ids(message: EmailMessage) -> list[str]:
    ids: list[str] = []
    for header in ("In-Reply-To", "References"):
        for value in message.get_all(header, []):
            ids += [
                f"<{part.strip('<> ')}>"
                for part in str(value).replace(">", "> ").split()
                if "@" in part
            ]
    return list(reversed(ids))  # the most recent reference first
