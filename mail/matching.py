"""Which consultation, version and country an inbound message answers (DESIGN §6).

Tried in order of trust: the signed token in the plus-address we set as Reply-To (also found in
Delivered-To / X-Original-To when a client replies to From), then our Message-IDs in
In-Reply-To / References, then a subject tag like ``[CRM-2026-007 v2]``.
"""

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Literal

from mail import tokens

Via = Literal["token", "references", "subject"]
_ADDRESS_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass(frozen=True)
class Match:
    consultation_id: str
    version: int
    country: str | None  # None when only the subject tag matched: the sender's country decides
    via: Via


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
    for mid in _referenced_ids(message):
        parts = tokens.parse_message_id(mid, domain=domain)
        if parts is not None:
            return Matching(
                Match(parts.consultation_id, parts.version, parts.country, "references")
            )
    tag = tokens.find_subject_tag(str(message.get("Subject", "")))
    if tag is not None:
        return Matching(Match(tag.consultation_id, tag.version, None, "subject"))
    return Matching(None)


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
