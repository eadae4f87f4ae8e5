"""What the bounce work noted about delivery since the last digest, for the ST to read.

``mail.bounces`` stores two kinds of note and acts on neither: ``delivery_delayed`` (a report
that the receiving server keeps trying, RFC 3464 ``Action: delayed``; one per address a day)
and ``bounce_unverified`` (a message that looks like a delivery failure but does not answer our
own sending, so nothing was marked failing). Both are events without a consultation.
"""

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation.vocabulary import Role
from store.tables import ContactEmailRow, ContactRoleRow, ContactRow, EventRow


async def delivery_notes(
    session: AsyncSession, *, now: datetime, since: datetime
) -> dict[str, Any]:
    """``delayed``: one entry per delayed address (the latest note), with whose it is;
    ``unverified_bounces``: how many bounce-like messages were filed unread."""
    query = (
        select(EventRow)
        .where(col(EventRow.at) > since, col(EventRow.at) <= now)
        .where(col(EventRow.kind).in_(("delivery_delayed", "bounce_unverified")))
        .order_by(col(EventRow.id))
    )
    delayed: dict[str, dict[str, Any]] = {}
    unverified = 0
    for event in (await session.exec(query)).all():
        if event.kind == "bounce_unverified":
            unverified += 1
            continue
        address = str(event.payload.get("address") or "")
        if address:
            consultation = event.payload.get("consultation")
            delayed[address.lower()] = {
                "address": address,
                "consultation": str(consultation) if consultation else None,
                "at": event.at.isoformat(),
            }
    owners = await _owners(session, list(delayed))
    return {
        "delayed": [{**d, **owners.get(key, _NOBODY)} for key, d in delayed.items()],
        "unverified_bounces": unverified,
    }


_NOBODY: dict[str, Any] = {"country": None, "contact": None}


async def _owners(session: AsyncSession, addresses: list[str]) -> dict[str, dict[str, Any]]:
    """Whose each address is, in one query: the contact, and the country it is focal point of."""
    if not addresses:
        return {}
    focal = (col(ContactRoleRow.contact_id) == col(ContactRow.id)) & (
        col(ContactRoleRow.role) == Role.FOCAL_POINT.value
    )
    query = (
        select(ContactEmailRow, ContactRow, ContactRoleRow)
        .join(ContactRow, col(ContactRow.id) == col(ContactEmailRow.contact_id))
        .outerjoin(ContactRoleRow, focal)
        .where(col(ContactEmailRow.address).in_(addresses))
    )
    found: dict[str, dict[str, Any]] = {}
    for email, contact, role in (await session.exec(query)).all():
        party = role.party if role is not None else None
        if email.address not in found or party:
            found[email.address] = {"contact": contact.name, "country": party}
    return found
