"""The review queue as a person reads it: held replies with why, the reading, the decision.

Plain values built once for every front that lists or shows held replies (``consulta review``,
the web console), so both say the same thing. Times are in the zone of the presidency in office
(the people who decide); countries by name in the reader's language; reasons in words
(``held.describe``), never as codes.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import held, page_images, received, review, zones
from consultation.errors import NotFound
from consultation.note_facts import describe_note
from consultation.vocabulary import Language
from store import queries
from store.tables import EventRow, InboundMessageRow


@dataclass(frozen=True)
class Decided:
    decision: str  # confirm | correct | reject | settled: the templates say it in words
    who: str
    when: str
    reason: str


@dataclass(frozen=True)
class HeldItem:
    """One line of the queue."""

    number: int  # the inbound message's id: `consulta review show N`, /review/N
    received: str
    sender: str
    country: str
    consultation: str
    version: int | None
    reason: str  # why it is (or was) held, in words
    decision: Decided | None
    open: bool  # still waiting for a person
    held: bool  # it was held at all (a message shown by number may never have been)
    status: str


@dataclass(frozen=True)
class ProposedView:
    action: str  # replace | delete | insert_after
    paragraph: int
    proposed: str


@dataclass(frozen=True)
class Reading:
    """What the reader made of the reply: the basis of Confirm."""

    position: str | None
    amendments: list[ProposedView] = field(default_factory=list)
    extension_requested: bool = False


@dataclass(frozen=True)
class Attachment:
    index: int  # its place among the message's attachments (the download's address)
    name: str
    type: str
    size: int


@dataclass(frozen=True)
class HeldMessage:
    """One held reply in full, as received."""

    item: HeldItem
    headers: list[tuple[str, str]]
    own_text: str
    reading: Reading | None
    attachments: list[Attachment]
    header_only: bool
    size: int | None
    body: received.Body  # sanitised HTML, or text for the page to escape
    consultation_row_id: str | None  # the consultation it answers, when it could be tied
    note: str  # the note verbale it carried, in words ("" for none)
    has_page: bool  # a scanned note's page image is kept with it


async def held_items(
    session: AsyncSession, language: Language, *, everything: bool = False
) -> list[HeldItem]:
    """The held replies, oldest first (``everything``: those already decided too)."""
    rows = await review.held_replies(session, everything=everything)
    return await items_of(session, rows, language)


async def items_of(
    session: AsyncSession, rows: Sequence[InboundMessageRow], language: Language
) -> list[HeldItem]:
    zone = await ppt_zone(session)
    names = await country_names(session, language)
    decisions = await _decisions(session, [r.id for r in rows if r.id is not None])
    return [_item(r, decisions.get(r.id or 0), zone, names, language) for r in rows]


async def held_message(session: AsyncSession, number: int, language: Language) -> HeldMessage:
    row = await message_row(session, number)
    (item,) = await items_of(session, [row], language)
    message = received.parse(row.raw)
    return HeldMessage(
        item=item,
        headers=received.headers(message),
        own_text=received.own_words(row, message),
        reading=_reading(row.reading),
        attachments=[
            Attachment(i, a["name"], a["type"], a["size"])
            for i, a in enumerate(received.attachments(message))
        ],
        header_only=row.header_only,
        size=row.size,
        body=received.body(message),
        consultation_row_id=row.consultation_id,
        note=describe_note((row.reading or {}).get("note_verbale"), language),
        has_page=await page_images.page_image(session, number) is not None,
    )


async def message_row(session: AsyncSession, number: int) -> InboundMessageRow:
    row = await session.get(InboundMessageRow, number)
    if row is None:
        raise NotFound(f"there is no inbound message {number}", phrase="no_message", number=number)
    return row


async def ppt_zone(session: AsyncSession) -> str:
    """Times are shown in the zone of the presidency in office (the people who decide)."""
    presidency = await queries.presidency(session)
    if presidency is not None:
        for country in await queries.countries(session):
            if country.code == presidency.current:
                return country.timezone
    return "UTC"


async def country_names(session: AsyncSession, language: Language) -> dict[str, str]:
    spanish = language is Language.ES
    return {c.code: c.name_es if spanish else c.name_en for c in await queries.countries(session)}


def as_dict(item: HeldItem) -> dict[str, Any]:
    """The item as the CLI's templates take it (``decided(**decision)``)."""
    return {
        "number": item.number,
        "received": item.received,
        "sender": item.sender,
        "country": item.country,
        "consultation": item.consultation,
        "version": item.version,
        "reason": item.reason,
        "decision": None if item.decision is None else vars(item.decision).copy(),
        "open": item.open,
        "held": item.held,
        "status": item.status,
    }


async def _decisions(session: AsyncSession, numbers: list[int]) -> dict[int, EventRow]:
    """The event that took each reply out of the queue, in one query (the latest wins)."""
    if not numbers:
        return {}
    query = (
        select(EventRow)
        .where(
            col(EventRow.inbound_id).in_(numbers),
            col(EventRow.kind).in_([review.DECIDED, review.SETTLED]),
        )
        .order_by(col(EventRow.id))
    )
    return {e.inbound_id: e for e in (await session.exec(query)).all() if e.inbound_id}


def _item(
    row: InboundMessageRow,
    decided: EventRow | None,
    zone: str,
    names: dict[str, str],
    language: Language,
) -> HeldItem:
    assert row.id is not None
    return HeldItem(
        number=row.id,
        received=zones.moment(row.received_at, zone, language),
        sender=row.sender or "",
        country=names.get(row.country or "", row.country or ""),
        consultation=row.consultation_id or "",
        version=row.version,
        reason=held.describe(review.held_reason(row, decided), language),
        decision=_decided(decided, zone, language),
        open=row.status == "review",
        held=row.status == "review" or decided is not None,
        status=row.status,
    )


def _decided(event: EventRow | None, zone: str, language: Language) -> Decided | None:
    if event is None:
        return None
    kind = "settled" if event.kind == review.SETTLED else str(event.payload.get("decision"))
    return Decided(
        decision=kind,
        who=event.actor,
        when=zones.moment(event.at, zone, language),
        reason=str(event.payload.get("reason") or ""),
    )


def _reading(reading: dict[str, Any] | None) -> Reading | None:
    if not reading:
        return None
    return Reading(
        position=reading.get("position"),
        amendments=[
            ProposedView(str(a["action"]), int(a["paragraph"]), str(a.get("proposed") or ""))
            for a in reading.get("amendments") or []
        ],
        extension_requested=bool(reading.get("extension_requested")),
    )
