"""Rosters of any size for another body (the OAS's 35, the UN's 193), built from the countries
the `holidays` package knows, so every member has a holiday calendar of its own."""

import re
from datetime import datetime
from typing import Any

import yaml
from holidays import registry
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import answers
from consultation.answers import Answer, ProposedChange
from consultation.roster import Roster, load_roster
from consultation.roster_sync import import_roster
from consultation.timesource import ManualTime
from consultation.vocabulary import AmendmentAction, PositionValue
from store.database import Database
from store.tables import InboundMessageRow
from tests.factories import make_consultation, move
from tests.held import hold

# Zones by the first letter of the code: enough spread for deadlines in several zones.
_ZONES = ("America/Panama", "Europe/Madrid", "Africa/Nairobi", "Asia/Manila", "UTC")


def member_codes(count: int) -> list[str]:
    """``count`` ISO codes, the CRM's first (so the default fixtures' countries stay), then
    the rest of the `holidays` registry in alphabetical order."""
    crm = ["BZ", "CA", "CR", "DO", "GT", "HN", "MX", "NI", "PA", "SV", "US"]
    others = sorted({entry[1] for entry in registry.COUNTRIES.values()} - set(crm))
    codes = (crm + others)[:count]
    assert len(codes) == count, f"the holidays package knows {len(crm + others)} countries"
    return codes


def _name(code: str) -> str:
    for entry in registry.COUNTRIES.values():
        if entry[1] == code:
            return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0])
    return code


def roster_data(
    members: int, *, focal_points: int = 2, bureau: int | None = None, slack: bool = False
) -> dict[str, Any]:
    """A roster of ``members`` countries with ``focal_points`` contacts each, a PPT and an ST.

    The presidency is a Troika around DO (BZ before it, CA after it), or with ``bureau`` a
    bureau of that many members led by the same presidency. With ``slack``, as in the CRM's
    shipped roster, the PPT, the ST and each member's first focal point have a Slack user."""
    codes = member_codes(members)
    countries = [
        {
            "code": code,
            "name_es": _name(code),
            "name_en": _name(code),
            "status": "member",
            "timezone": _ZONES[ord(code[0]) % len(_ZONES)],
        }
        for code in codes
    ]
    current = "DO" if "DO" in codes else codes[0]
    others = [c for c in codes if c != current]
    presidency: dict[str, Any] = {"previous": others[0], "current": current, "next": others[1]}
    if bureau is not None:
        presidency = {"current": current, "bureau": [current, *others[: bureau - 1]]}
    contacts = [
        {
            "name": f"Focal point {n + 1} of {code}",
            "emails": [f"fp{n + 1}@{code.lower()}.example"],
            "language": "es" if n % 2 == 0 else "en",
            "timezone": "UTC",
            "roles": [f"focal_point:{code}"],
        }
        | ({"slack_user_id": f"UFP{code}0001"} if slack and n == 0 else {})
        for code in codes
        for n in range(focal_points)
    ]
    contacts += [
        {
            "name": "PPT officer",
            "emails": ["ppt@presidency.example"],
            "language": "es",
            "timezone": "UTC",
            "roles": ["ppt"],
        }
        | ({"slack_user_id": "UPPT0001"} if slack else {}),
        {
            "name": "Technical Secretariat",
            "emails": ["st@secretariat.example"],
            "language": "es",
            "timezone": "UTC",
            "roles": ["st"],
        }
        | ({"slack_user_id": "UST0001"} if slack else {}),
    ]
    return {"presidency": presidency, "countries": countries, "contacts": contacts}


def roster_text(members: int, **options: Any) -> str:
    return yaml.safe_dump(roster_data(members, **options), allow_unicode=True, sort_keys=False)


async def import_members(
    db: Database, members: int, *, at: datetime, actor: str, slack: bool = False
) -> Roster:
    """The roster of ``members`` (two focal points each) imported into the store."""
    roster = load_roster(roster_text(members, slack=slack), source=f"{members} members")
    async with db.transaction() as session:
        await import_roster(session, roster, actor=actor, at=at)
    return roster


async def body_consultation(db: Database, time: ManualTime, members: int) -> tuple[str, list[str]]:
    """A consultation distributed to a roster of ``members``, with every kind of answer a
    board shows: each member answers, one in four from a stored message, a few amend, one
    objects, one asks for more time, and two replies wait for review. Returns its id and
    the member codes."""
    roster = await import_members(db, members, at=time.now(), actor="test")
    made = await make_consultation(db, time, seed=False, troika=roster.presidency.troika)
    codes = roster.members
    sources = {code: await _message(db, time, made.id, code) for code in codes[::4]}
    async with db.transaction() as session:
        for n, code in enumerate(codes):
            await _answer(session, time, made.id, code, n, sources.get(code))
    for code in codes[2:4]:
        await hold(db, time, made.id, code, "question")
    return made.id, codes


async def _answer(
    session: AsyncSession,
    time: ManualTime,
    consultation_id: str,
    code: str,
    n: int,
    source: int | None,
) -> None:
    position = (
        PositionValue.OBJECT
        if n == 1
        else PositionValue.AMEND
        if n % 10 == 3
        else PositionValue.APPROVE
    )
    changes = (
        (ProposedChange(AmendmentAction.REPLACE, 2, f"Texto de {code}."),)
        if position is PositionValue.AMEND
        else ()
    )
    answer = Answer(
        country=code,
        version=1,
        position=position,
        amendments=changes,
        extension_requested=n == 5,
        inbound_id=source,
    )
    await answers.record_answer(
        session, consultation_id, answer, move(time, actor=f"fp1@{code.lower()}.example")
    )


async def _message(db: Database, time: ManualTime, consultation_id: str, country: str) -> int:
    """An answer's source as the email front keeps it: the raw bytes, read and recorded."""
    row = InboundMessageRow(
        dedupe_key=f"<answer.{consultation_id}.{country}@{country.lower()}.example>",
        message_id=f"<answer.{consultation_id}.{country}@{country.lower()}.example>",
        raw=f"From: fp1@{country.lower()}.example\r\nSubject: RE\r\n\r\nAprobamos.\r\n".encode(),
        received_at=time.now(),
        status="recorded",
        consultation_id=consultation_id,
        version=1,
        country=country,
        sender=f"fp1@{country.lower()}.example",
        reading={"own_text": "Aprobamos."},
    )
    async with db.transaction() as session:
        session.add(row)
        await session.flush()
        assert row.id is not None
        return row.id
