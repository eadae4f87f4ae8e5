"""Roster and contacts import into the store: idempotent, updates in place, deactivates."""

import pytest
import yaml
from sqlmodel import select

from consultation.contacts_csv import parse_contacts_csv
from consultation.errors import RosterError
from consultation.roster import default_roster_text, roster_from_data
from consultation.roster_sync import import_contacts, import_roster
from consultation.timesource import ManualTime
from store import queries
from store.database import Database
from store.tables import ContactRow, CountryRow


def shipped() -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load(default_roster_text())
    assert isinstance(data, dict)
    return data


async def test_import_is_idempotent_and_complete(db: Database, time: ManualTime) -> None:
    roster = roster_from_data(shipped())
    async with db.transaction() as session:
        first = await import_roster(session, roster, actor="st", at=time.now())
    async with db.transaction() as session:
        second = await import_roster(session, roster, actor="st", at=time.now())
    assert len(first.added) == 40 and not first.updated
    assert len(second.unchanged) == 40 and not (second.added or second.updated)
    async with db.session() as session:
        members = await queries.countries(session, status="member")
        presidency = await queries.presidency(session)
        troika_do = await queries.contacts_with_role(session, "troika", party="DO")
    assert len(members) == 11
    assert presidency is not None and (
        presidency.previous,
        presidency.current,
        presidency.next,
    ) == (
        "MX",
        "DO",
        "PA",
    )
    assert [c.name for c in troika_do] == ["Representante de República Dominicana en la Troika"]


async def test_changed_contact_is_updated_and_missing_one_deactivated(
    db: Database, time: ManualTime
) -> None:
    data = shipped()
    async with db.transaction() as session:
        await import_roster(session, roster_from_data(data), actor="st", at=time.now())
    gt = next(c for c in data["contacts"] if c["roles"] == ["focal_point:GT"])
    gt["language"], gt["emails"] = "en", [*gt["emails"], "nuevo@minex.gt.example"]
    data["contacts"] = [c for c in data["contacts"] if c["name"] != "Punto focal de Honduras"]
    async with db.transaction() as session:
        report = await import_roster(session, roster_from_data(data), actor="st", at=time.now())
    assert report.updated == [gt["name"]]
    assert report.deactivated == ["Punto focal de Honduras"]
    async with db.session() as session:
        contact = await queries.contact_by_email(session, "nuevo@minex.gt.example")
        hn = await queries.contacts_with_role(session, "focal_point", party="HN")
    assert contact is not None and contact.language == "en"
    assert [c.name for c in hn] == ["Punto focal alterno de Honduras"]


async def test_csv_contacts_update_and_add(db: Database, time: ManualTime) -> None:
    async with db.transaction() as session:
        await import_roster(session, roster_from_data(shipped()), actor="st", at=time.now())
    csv_text = (
        "Name;Emails;Language;Timezone;Roles;Slack_user_id;Active\n"
        "Punto focal de Guatemala;puntofocal@cancilleria.gt.example;es;America/Guatemala;"
        "focal_point:GT;;no\n"
        "Ana Pérez;ana.perez@minex.gt.example;es;America/Guatemala;focal_point:GT;U0ANA;yes\n"
    )
    entries = parse_contacts_csv(csv_text)
    async with db.transaction() as session:
        report = await import_contacts(session, entries, actor="st", at=time.now())
    assert (report.added, report.updated) == (["Ana Pérez"], ["Punto focal de Guatemala"])
    async with db.session() as session:
        gt = await queries.contacts_with_role(session, "focal_point", party="GT")
    assert sorted(c.name for c in gt) == ["Ana Pérez", "Punto focal alterno de Guatemala"]


async def test_csv_naming_an_unknown_country_is_refused_whole(
    db: Database, time: ManualTime
) -> None:
    async with db.transaction() as session:
        await import_roster(session, roster_from_data(shipped()), actor="st", at=time.now())
    entries = parse_contacts_csv(
        "name,emails,language,timezone,roles\nX,x@y.example,es,America/Lima,focal_point:ZZ\n"
    )
    with pytest.raises(RosterError, match="ZZ"):
        async with db.transaction() as session:
            await import_contacts(session, entries, actor="st", at=time.now())
    async with db.session() as session:
        assert (
            await session.exec(select(ContactRow).where(ContactRow.name == "X"))
        ).first() is None
        assert await session.get(CountryRow, "ZZ") is None
