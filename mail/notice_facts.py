"""What a notice states beyond its outbox row: the amendments a revision settled, the reply a
receipt acknowledges, the changes the Troika asked for."""

import re
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation.vocabulary import AmendmentStatus, TroikaStatus
from store.tables import AmendmentRow, InboundMessageRow, PositionRow, TroikaReviewRow

# One msg-id, short enough for a header line with room for References (RFC 5322 §2.1.1).
_MSG_ID = re.compile(r"<[^<>\s\x00-\x1f\x7f]{1,250}>")
# A long thread's References is trimmed from the middle by mail programs (RFC 5322 §3.6.4
# allows it); we keep the latest few, enough for any client to find the thread.
MAX_REFERENCES = 10


@dataclass(frozen=True)
class SettledAmendment:
    """An amendment to the previous version, as a revision email names it."""

    country: str  # the country's name in the reader's language
    action: str
    paragraph: int  # in the previous version's numbering


async def settled_amendments(
    session: AsyncSession, consultation_id: str, version: int, names: dict[str, str]
) -> tuple[list[SettledAmendment], list[SettledAmendment]]:
    """Amendments to ``version`` that the next one took up, and those it did not, by country
    then paragraph. Still-proposed ones (of a superseded answer) were never decided."""
    query = select(AmendmentRow).where(
        AmendmentRow.consultation_id == consultation_id,
        AmendmentRow.version == version,
        col(AmendmentRow.status).in_(
            [AmendmentStatus.INCORPORATED.value, AmendmentStatus.NOT_INCORPORATED.value]
        ),
    )
    rows = sorted(
        (await session.exec(query)).all(),
        key=lambda a: (names.get(a.country, a.country), a.paragraph, a.id or 0),
    )
    taken: list[SettledAmendment] = []
    left: list[SettledAmendment] = []
    for row in rows:
        item = SettledAmendment(names.get(row.country, row.country), row.action, row.paragraph)
        (taken if row.status == AmendmentStatus.INCORPORATED.value else left).append(item)
    return taken, left


@dataclass(frozen=True)
class Parent:
    """The reply a receipt acknowledges, as threading headers name it."""

    message_id: str
    references: tuple[str, ...]  # the reply's own References (or In-Reply-To), oldest first


async def acknowledged_reply(session: AsyncSession, position_id: object) -> Parent | None:
    """The reply a receipt acknowledges (None for an answer recorded by hand, or a reply
    without a usable Message-ID)."""
    if not isinstance(position_id, int):
        return None
    position = await session.get(PositionRow, position_id)
    if position is None or position.inbound_id is None:
        return None
    inbound = await session.get(InboundMessageRow, position.inbound_id)
    if inbound is None or not inbound.message_id:
        return None
    # Stored as the sender wrote it: take the one msg-id in it (RFC 5322 §3.6.4), so nothing
    # a sender put there (a line break, a second header) reaches our headers.
    found = _MSG_ID.search(inbound.message_id)
    if found is None:
        return None
    earlier = tuple(i for i in _earlier(inbound.raw) if i != found[0])
    return Parent(found[0], earlier)


def _earlier(raw: bytes) -> tuple[str, ...]:
    """The msg-ids the reply itself referred to: its References, else its In-Reply-To."""
    header = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    for name in ("References", "In-Reply-To"):
        ids = _MSG_ID.findall(str(header.get(name) or ""))
        if ids:
            return tuple(ids[-MAX_REFERENCES:])
    return ()


async def troika_requests(
    session: AsyncSession, consultation_id: str, round_number: int
) -> list[tuple[str, str | None]]:
    """(country code, comment) of each Troika country that asked for changes in the round."""
    query = (
        select(TroikaReviewRow)
        .where(
            TroikaReviewRow.consultation_id == consultation_id,
            TroikaReviewRow.round == round_number,
            TroikaReviewRow.status == TroikaStatus.CHANGES_REQUESTED.value,
        )
        .order_by(col(TroikaReviewRow.id))
    )
    return [(r.country, r.comment) for r in (await session.exec(query)).all()]
