"""Delivery reports from every mail system of the corpus (tests/fixtures/bounces), read by their
fields: each is a bounce, its outcome and addresses are the labelled ones, and no delay or
success report is ever a failure. Then, through the real front (aiosmtpd out, Dovecot in), one
failed, one delayed and one delivered report of each family do what issue #16 asks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import col, select

from bench.bounces import CORPUS, READERS, outcome
from consultation.timesource import ManualTime
from mail.reading import read_reply
from store.database import Database
from store.tables import ContactEmailRow, EventRow
from tests.mail.test_bounces import (
    GT,
    GT_OTHER,
    SV,
    alerts,
    deliver,
    inbound_rows,
    verp_of,
)
from tests.mail.test_front import distributed
from tests.servers.dovecot import Dovecot
from tests.servers.smtpd import SmtpServer

LABELS: dict[str, dict[str, Any]] = json.loads((CORPUS / "labels.json").read_text("utf-8"))

# One failed, one delayed and one delivered report per mail system (issue #16's families).
FAMILIES = {
    "postfix": ("01-postfix-failed.eml", "02-postfix-delayed.eml", "03-postfix-delivered.eml"),
    "exim": ("04-exim-failed.eml", "05-exim-delayed.eml", "41-exim-delivered.eml"),
    "gmail": ("07-gmail-failed.eml", "08-gmail-delayed.eml", "09-gmail-delivered.eml"),
    "office365": (
        "43-office365-failed.eml",
        "44-office365-delayed.eml",
        "45-office365-delivered.eml",
    ),
    "sendmail": (
        "13-sendmail-failed.eml",
        "14-sendmail-delayed.eml",
        "15-sendmail-delivered.eml",
    ),
    "domino": ("16-domino-failed.eml", "17-domino-delayed.eml", "42-domino-delivered.eml"),
    "groupwise": (
        "19-groupwise-failed.eml",
        "20-groupwise-delayed.eml",
        "21-groupwise-delivered.eml",
    ),
    "qmail": (
        "22-qmail-ldap-failed.eml",
        "23-qmail-ldap-delayed.eml",
        "24-qmail-ldap-delivered.eml",
    ),
}


@pytest.mark.parametrize("name", sorted(LABELS))
def test_each_report_is_a_bounce_with_its_outcome_and_addresses(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    label = LABELS[name]
    reading = read_reply(raw, ["uno", "dos"])
    assert reading.kind == "bounce" and reading.position is None
    got, addresses = READERS["combined"](raw)
    assert got == outcome(str(label["action"]))
    failed_or_delayed = got in ("failed", "delayed")
    assert set(reading.bounced_addresses) == (
        set(label["addresses"]) if failed_or_delayed else set()
    )
    if failed_or_delayed:
        assert set(addresses) == set(label["addresses"])


def test_every_family_has_its_three_outcomes() -> None:
    for family, names in FAMILIES.items():
        assert [LABELS[n]["action"] for n in names][:2] == ["failed", "delayed"], family
        assert LABELS[names[2]]["action"] in ("delivered", "relayed", "expanded"), family


def answering(name: str, *, verp: str, address: str) -> bytes:
    """A corpus report made to answer our notice to ``address`` (its VERP sender)."""
    raw = (
        (CORPUS / name)
        .read_bytes()
        .replace(b"consultas+b.1.aaaaaaaaaaaaaaaa@crm.example", verp.encode())
    )
    for named in LABELS[name]["addresses"]:
        raw = raw.replace(str(named).encode(), address.encode())
    if b"\r\nDelivered-To:" not in raw:
        raw = f"Delivered-To: {verp}\r\n".encode() + raw
    return raw


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_failed_marks_delayed_notes_delivered_files(
    family: str, db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    failed, delayed, delivered = FAMILIES[family]
    await distributed(db, time, smtpd)
    verps = {a: await verp_of(db, smtpd, a) for a in (GT, GT_OTHER, SV)}
    await deliver(
        db,
        time,
        smtpd,
        dovecot,
        answering(failed, verp=verps[GT], address=GT),
        answering(delayed, verp=verps[GT_OTHER], address=GT_OTHER),
        answering(delivered, verp=verps[SV], address=SV),
    )
    async with db.session() as session:
        marked = (
            await session.exec(
                select(ContactEmailRow).where(col(ContactEmailRow.failing).is_(True))
            )
        ).all()
        notes = (
            await session.exec(select(EventRow).where(EventRow.kind == "delivery_delayed"))
        ).all()
    assert [e.address for e in marked] == [GT]
    assert marked[0].failure and marked[0].failure[0] == "5"  # the report's status code first
    assert [n.payload["address"] for n in notes] == [GT_OTHER]
    assert await alerts(db) == 1
    reasons = sorted(r.reason or "" for r in await inbound_rows(db))
    assert reasons == sorted([f"failed:{GT}", f"delayed:{GT_OTHER}", f"delivered:{SV}"])
