"""Issue #13: only a country can speak for itself. Each attack that succeeded before goes through
the running email front (drafts out through aiosmtpd, the attack in through Dovecot), on SQLite
and PostgreSQL, and must be refused with nothing lost: the message stored as it came, held with
a reason, no position recorded, and nobody outside the roster written to."""

import base64
import re
import subprocess
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import dkim  # type: ignore[import-untyped]
import pytest
from sqlmodel import select

from consultation.timesource import ManualTime
from mail.authentication import AuthenticationConfig
from mail.front import MailFront, MailFrontConfig
from mail.imap import ImapConfig
from mail.smtp import SmtpConfig
from store import queries
from store.database import Database
from store.tables import ContactEmailRow, EventRow, InboundMessageRow, OutboxRow
from templates import environment
from tests.mail.test_compose import IDENTITY
from tests.mail.test_front import (
    distributed,
    focal_point,
    inbound,
    parsed,
    running,
    until,
)
from tests.mail.test_inbound import inbox, stored
from tests.servers.dns import DnsServer, running_dns
from tests.servers.dovecot import Dovecot
from tests.servers.smtpd import SmtpServer

GT = focal_point("GT")
OURS = "mx.crm.example"
AUTHSERV = AuthenticationConfig(authserv_id=OURS)


def front(
    db: Database,
    time: ManualTime,
    smtpd: SmtpServer,
    dovecot: Dovecot,
    authentication: AuthenticationConfig | None = None,
) -> MailFront:
    config = MailFrontConfig(
        imap=ImapConfig(
            host=dovecot.host,
            port=dovecot.port,
            username=Dovecot.user,
            password=Dovecot.password,
            timeout=5.0,
            reconnect_initial=0.05,
            reconnect_max=0.4,
        ),
        smtp=SmtpConfig(host=smtpd.host, port=smtpd.port),
        identity=IDENTITY,
        authentication=authentication,
        interval=0.05,
    )
    return MailFront(db, config, env=environment(), time=time)


def draft_to(smtpd: SmtpServer, address: str) -> tuple[str, str]:
    """The Reply-To (with its signed token) and Message-ID of the draft ``address`` received."""
    [draft] = [
        parsed(m.data)
        for m in smtpd.delivered_to(address)
        if "v1]" in str(parsed(m.data)["Subject"])
    ]
    return str(draft["Reply-To"]), str(draft["Message-ID"])


def mail(
    *headers: str,
    body: str = "Guatemala objeta el texto.",
    subject: str = "RE: Consulta escrita",
    number: int = 0,
) -> bytes:
    """A message as an attacker writes it: header lines as given, nothing tidied."""
    lines = [
        *headers,
        f"Subject: {subject}",
        f"Message-ID: <attack.{number}.{abs(hash(headers))}@evil.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    return ("\r\n".join(lines) + f"\r\n\r\n{body}\r\n").encode()


async def attacked(
    db: Database,
    time: ManualTime,
    smtpd: SmtpServer,
    dovecot: Dovecot,
    raws: Sequence[bytes],
    authentication: AuthenticationConfig | None = None,
) -> list[InboundMessageRow]:
    """Deliver ``raws`` through Dovecot to the running front; return once each is decided and
    everything it queued has been sent."""
    for raw in raws:
        await dovecot.append(raw)
    async with running(front(db, time, smtpd, dovecot, authentication)):
        await until(lambda: _decided(db, len(raws)))
        await until(lambda: _outbox_idle(db))
    return await inbound(db)


async def _decided(db: Database, count: int) -> bool:
    rows = await inbound(db)
    return len(rows) == count and all(r.status != "stored" for r in rows)


async def _outbox_idle(db: Database) -> bool:
    async with db.session() as session:
        query = select(OutboxRow).where(
            OutboxRow.status == "pending", OutboxRow.channel == "email"
        )  # Slack's review items wait for the Slack front, which is not running here
        return not (await session.exec(query)).all()


async def assert_refused(
    db: Database,
    smtpd: SmtpServer,
    consultation: str,
    raws: Sequence[bytes],
    rows: list[InboundMessageRow],
    reasons: set[str],
    *,
    sent_before: int,
) -> None:
    assert [r.raw for r in rows] == list(raws)  # stored, byte for byte, nothing lost
    assert {r.status for r in rows} == {"review"}, [(r.status, r.reason) for r in rows]
    assert {r.reason for r in rows} == reasons
    async with db.session() as session:
        assert await queries.latest_positions(session, consultation, 1) == {}
        roster = {e.address for e in (await session.exec(select(ContactEmailRow))).all()}
        rejections = await session.exec(select(OutboxRow).where(OutboxRow.kind == "rejection"))
        assert rejections.all() == []
    written = {a for m in smtpd.received[sent_before:] for a in m.rcpt_tos}
    assert written <= roster, written - roster


@pytest.fixture
async def consultation(db: Database, time: ManualTime, smtpd: SmtpServer) -> str:
    return await distributed(db, time, smtpd)


async def test_a_spoofed_focal_point_with_only_a_subject_tag_is_held(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot, consultation: str
) -> None:
    raws = [
        mail(
            f"From: Punto Focal <{GT}>",
            "To: consultas@crm.example",
            subject=f"RE: [{consultation} v1] Consulta escrita",
        )
    ]
    sent = len(smtpd.received)
    rows = await attacked(db, time, smtpd, dovecot, raws)
    await assert_refused(db, smtpd, consultation, raws, rows, {"not_linked"}, sent_before=sent)
    assert (rows[0].consultation_id, rows[0].country) == (consultation, None)  # a hint only


@pytest.mark.parametrize("nonce", ["o999999", "o5", "o5-aaaaaaaaaaaaaaaa"])
async def test_a_made_up_in_reply_to_proves_nothing(
    db: Database,
    time: ManualTime,
    smtpd: SmtpServer,
    dovecot: Dovecot,
    consultation: str,
    nonce: str,
) -> None:
    """Our Message-ID format is public: an unsigned nonce (what we sent before issue #13), or a
    tag no key of ours made, is not a proof of link."""
    made_up = f"<consulta.{consultation}.v1.GT.{nonce}@crm.example>"
    raws = [
        mail(
            f"From: {GT}",
            "To: consultas@crm.example",
            f"In-Reply-To: {made_up}",
            f"References: {made_up}",
        )
    ]
    sent = len(smtpd.received)
    rows = await attacked(db, time, smtpd, dovecot, raws)
    await assert_refused(db, smtpd, consultation, raws, rows, {"not_linked"}, sent_before=sent)


def genuine(smtpd: SmtpServer, *stamps: str, body: str = "Guatemala objeta el texto.") -> bytes:
    """Guatemala's focal point answering its draft (token and In-Reply-To), with ``stamps``
    (Authentication-Results lines) on top, as our MTA would prepend them."""
    reply_to, message_id = draft_to(smtpd, GT)
    return mail(
        *stamps,
        f"From: {GT}",
        f"To: {reply_to}",
        f"In-Reply-To: {message_id}",
        body=body,
    )


@pytest.mark.parametrize(
    ("stamps", "reason"),
    [
        ((), "unauthenticated"),
        (
            (f"Authentication-Results: {OURS} 1; dmarc=fail header.from=cancilleria.gt.example",),
            "dmarc_fail",
        ),
        (
            (
                f"Authentication-Results: {OURS};\r\n\tdkim=pass header.d=cancilleria.gt.example;"
                " dmarc=\r\n\tfail",
            ),
            "dmarc_fail",
        ),
        (
            (
                f"Authentication-Results: {OURS}; dmarc=pass header.from=cancilleria.gt.example",
                f"Authentication-Results: {OURS}; dmarc=fail header.from=cancilleria.gt.example",
            ),
            "dmarc_fail",
        ),
        (("Authentication-Results: evil.example; dmarc=pass",), "unauthenticated"),
    ],
    ids=["no-stamp", "versioned-fail", "folded-fail", "forged-pass-above-fail", "other-server"],
)
async def test_authentication_fails_closed(
    db: Database,
    time: ManualTime,
    smtpd: SmtpServer,
    dovecot: Dovecot,
    consultation: str,
    stamps: tuple[str, ...],
    reason: str,
) -> None:
    """Token and In-Reply-To are genuine here: only the domain's authentication is missing."""
    raws = [genuine(smtpd, *stamps)]
    sent = len(smtpd.received)
    rows = await attacked(db, time, smtpd, dovecot, raws, AUTHSERV)
    await assert_refused(db, smtpd, consultation, raws, rows, {reason}, sent_before=sent)
    assert rows[0].country == "GT"  # the proof says whose answer the PPT is looking at


async def test_an_authenticated_linked_answer_counts(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot, consultation: str
) -> None:
    """The other side of the attacks: all three conditions met, the objection is recorded."""
    stamp = (
        f"Authentication-Results: {OURS} 1 (our MX);\r\n dkim=pass (2048-bit key)"
        " header.d=cancilleria.gt.example; dmarc=pass (p=reject) header.from=cancilleria.gt.example"
    )
    rows = await attacked(db, time, smtpd, dovecot, [genuine(smtpd, stamp)], AUTHSERV)
    assert [(r.status, r.country) for r in rows] == [("recorded", "GT")], rows[0].reason
    async with db.session() as session:
        assert (await queries.latest_positions(session, consultation, 1))["GT"].value == "object"


@pytest.mark.parametrize(
    ("from_lines", "reason"),
    [
        ((f"From: {GT}, attacker@evil.example",), "ambiguous_from"),
        ((f"From: {GT}", "From: attacker@evil.example"), "ambiguous_from"),
        ((f"From: undisclosed: {GT};",), "ambiguous_from"),
        ((f"From: <{GT}>attacker@evil.example",), "ambiguous_from"),
        ((f"From: {GT}", "Sender: attacker@evil.example"), "sender_differs"),
    ],
    ids=["two-mailboxes", "two-from-headers", "group", "parser-differential", "sender"],
)
async def test_address_tricks_are_held(
    db: Database,
    time: ManualTime,
    smtpd: SmtpServer,
    dovecot: Dovecot,
    consultation: str,
    from_lines: tuple[str, ...],
    reason: str,
) -> None:
    """With Guatemala's genuine token and In-Reply-To: only the sender's identity is wrong."""
    reply_to, message_id = draft_to(smtpd, GT)
    raws = [mail(*from_lines, f"To: {reply_to}", f"In-Reply-To: {message_id}")]
    sent = len(smtpd.received)
    rows = await attacked(db, time, smtpd, dovecot, raws)
    await assert_refused(db, smtpd, consultation, raws, rows, {reason}, sent_before=sent)


async def test_a_spoofed_out_of_office_shows_on_no_board(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot, consultation: str
) -> None:
    raws = [
        mail(
            f"From: {GT}",
            "To: consultas@crm.example",
            "Auto-Submitted: auto-replied",
            subject=f"Fuera de la oficina: [{consultation} v1]",
            body="Estoy fuera de la oficina hasta el 31 de diciembre de 2099.",
        )
    ]
    rows = await attacked(db, time, smtpd, dovecot, raws)
    assert [(r.raw, r.status, r.reason) for r in rows] == [(raws[0], "auto_reply", "untrusted")]
    async with db.session() as session:
        notes = await session.exec(select(EventRow).where(EventRow.kind == "out_of_office"))
        assert notes.all() == []


async def test_no_backscatter_to_third_parties(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot, consultation: str
) -> None:
    """Five arbitrary addresses (two even carry Guatemala's real token): nobody answered."""
    reply_to, _ = draft_to(smtpd, GT)
    raws = [
        mail(
            f"From: victim{n}@third-party{n}.example",
            f"To: {reply_to if n < 2 else 'consultas@crm.example'}",
            subject=f"RE: URGENT wire 10,000 USD to IBAN GT{n}0000",
            body="Aprobamos el texto. URGENT wire 10,000 USD today.",
            number=n,
        )
        for n in range(5)
    ]
    sent = len(smtpd.received)
    rows = await attacked(db, time, smtpd, dovecot, raws)
    reasons = {"unregistered_sender", "not_linked"}
    await assert_refused(db, smtpd, consultation, raws, rows, reasons, sent_before=sent)
    assert all(b"URGENT" not in m.data for m in smtpd.received[sent:])


async def test_a_forged_token_spoofing_a_focal_point_writes_to_nobody(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot, consultation: str
) -> None:
    reply_to, _ = draft_to(smtpd, GT)
    forged = re.sub(r"\.[a-z2-7]{16}@", ".aaaaaaaaaaaaaaaa@", reply_to)
    raws = [mail(f"From: {GT}", f"To: {forged}", subject="RE: URGENT")]
    sent, to_gt = len(smtpd.received), len(smtpd.delivered_to(GT))
    rows = await attacked(db, time, smtpd, dovecot, raws)
    await assert_refused(db, smtpd, consultation, raws, rows, {"token_forged"}, sent_before=sent)
    assert len(smtpd.delivered_to(GT)) == to_gt


# --- DKIM verified by the service itself: real signatures, real DNS packets on loopback -------


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    """An RSA key (PEM) and its DNS TXT record, made once for the module."""
    folder: Path = tmp_path_factory.mktemp("dkim")
    private = folder / "key.pem"
    subprocess.run(
        ["openssl", "genrsa", "-out", str(private), "2048"], check=True, capture_output=True
    )
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return private.read_bytes(), f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


@pytest.fixture
async def dns_server(dkim_key: tuple[bytes, str]) -> AsyncIterator[DnsServer]:
    async with running_dns() as server:
        server.txt["sel._domainkey.cancilleria.gt.example."] = dkim_key[1]
        server.txt["sel._domainkey.evil.example."] = dkim_key[1]
        yield server


def signed(raw: bytes, key: bytes, domain: str) -> bytes:
    signature = dkim.sign(
        raw, b"sel", domain.encode(), key, include_headers=[b"From", b"To", b"Subject"]
    )
    return bytes(signature) + raw


@pytest.mark.parametrize(
    ("signer", "tamper", "status"),
    [
        ("cancilleria.gt.example", False, "recorded"),
        ("evil.example", False, "review"),  # valid signature, not aligned with From
        ("cancilleria.gt.example", True, "review"),  # body changed after signing
        (None, False, "review"),  # not signed at all
    ],
    ids=["aligned", "not-aligned", "tampered", "unsigned"],
)
async def test_dkim_verified_by_the_service(
    db: Database,
    time: ManualTime,
    dns_server: DnsServer,
    dkim_key: tuple[bytes, str],
    signer: str | None,
    tamper: bool,
    status: str,
) -> None:
    from tests.factories import make_consultation
    from tests.mail.test_inbound import fixture_text, reply_address

    made = await make_consultation(db, time, text=fixture_text())
    raw = mail(f"From: {GT}", f"To: {reply_address(made.id, 'GT')}")
    if signer is not None:
        raw = signed(raw, dkim_key[0], signer)
    if tamper:
        raw = raw.replace(b"objeta", b"aprueba")
    config = AuthenticationConfig(
        dkim_verify=True, dns_servers=(dns_server.address,), dns_timeout=2.0
    )
    await inbox(db, time, authentication=config).receive(raw)  # type: ignore[arg-type]
    [row] = await stored(db)
    assert (row.status, row.reason if status == "review" else None) == (
        status,
        "unauthenticated" if status == "review" else None,
    )
    if signer is not None:
        assert dns_server.queries  # the key was looked up on our server, over real UDP
