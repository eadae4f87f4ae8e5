"""A few hundred broken messages, generated from a fixed seed, delivered to a real Dovecot
mailbox and read by the running email front: every one is stored, and every one ends decided
or held for a person; none is left stored or quarantined, and nothing escapes the loop."""

import random
from collections.abc import Callable

from consultation.timesource import ManualTime
from store.database import Database
from tests.mail.test_front import distributed, focal_point, inbound, make_front, running, until
from tests.mail.test_intake import nested
from tests.servers.dovecot import Dovecot
from tests.servers.smtpd import SmtpServer

SEED, COUNT = 13, 240


def _header(rng: random.Random, n: int) -> bytes:
    country = rng.choice(["GT", "SV", "HN", "CR", "NI"])
    sender = rng.choice([focal_point(country), "nadie@desconocido.example", ""])
    return (
        f"From: {sender}\r\nTo: consultas@crm.example\r\nSubject: RE: [CRM-2026-001 v1] {n}\r\n"
        f"Message-ID: <fuzz.{n}@example.org>\r\nMIME-Version: 1.0\r\n"
    ).encode()


def truncated_mime(rng: random.Random) -> bytes:
    whole = nested(3, "Aprobamos el texto.")
    return whole[: rng.randrange(10, len(whole))]


def bad_charset(rng: random.Random) -> bytes:
    charset = rng.choice(["x-klingon", "utf-7", "", '"', "utf-8'';", "unknown-8bit"])
    return (
        f"Content-Type: text/plain; charset={charset}\r\n\r\n".encode()
        + "Aprobamos el texto, señores.".encode("latin-1")
        + bytes(rng.randrange(256) for _ in range(40))
    )


def bad_transfer(rng: random.Random) -> bytes:
    encoding = rng.choice(["base64", "quoted-printable", "x-uuencode", "7bit", "bogus"])
    junk = rng.choice([b"QXBy=b2Jh!!!bW9z", b"=ZZ=0=\r\nAp=rob=", b"====", b"\x00\x01\x02"])
    return f"Content-Transfer-Encoding: {encoding}\r\nContent-Type: text/plain\r\n\r\n".encode() + (
        junk * rng.randrange(1, 50)
    )


def no_colons(rng: random.Random) -> bytes:
    return b"This header has no colon\r\nNeither does this one\r\n\r\nObjetamos.\r\n"


def nuls(rng: random.Random) -> bytes:
    return b"Content-Type: text/plain\r\n\r\nApro\x00bamos\x00" + b"\x00" * rng.randrange(1, 500)


def giant_header(rng: random.Random) -> bytes:
    size = rng.choice([1000, 20_000, 200_000])
    return (
        b"X-Giant: " + b"a" * size + b"\r\nSubject: " + b"=?utf-8?q?" + b"x" * 5000 + b"\r\n\r\nok"
    )


def deep(rng: random.Random) -> bytes:
    return nested(rng.choice([49, 60, 300, 1200]), "Guatemala objeta.")


def bogus_encoded_words(rng: random.Random) -> bytes:
    return (
        b"Content-Type: text/plain\r\nX-Note: =?x-bad?B?////?= =?utf-8?Q?=FF=FE?= =?utf-8?B?\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''%FF%FE%ZZ.docx\r\n\r\n"
        + bytes(rng.randrange(256) for _ in range(200))
    )


def binary_junk(rng: random.Random) -> bytes:
    return b"\r\n" + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4000)))


def duplicated_boundaries(rng: random.Random) -> bytes:
    return (
        b'Content-Type: multipart/mixed; boundary="b"; boundary="b"\r\n\r\n--b\r\n'
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nAprobamos\r\n--b--\r\n--b--\r\n--b--\r\n"
    )


def broken_docx(rng: random.Random) -> bytes:
    return (
        b'Content-Type: multipart/mixed; boundary="z"\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\n'
        b"Van nuestros cambios.\r\n--z\r\nContent-Type: application/vnd.openxmlformats-"
        b"officedocument.wordprocessingml.document\r\nContent-Disposition: attachment; "
        b'filename="cambios.docx"\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBBQ'
        + bytes(rng.randrange(65, 90) for _ in range(300))
        + b"\r\n--z--\r\n"
    )


BREAKERS: list[Callable[[random.Random], bytes]] = [
    truncated_mime,
    bad_charset,
    bad_transfer,
    no_colons,
    nuls,
    giant_header,
    deep,
    bogus_encoded_words,
    binary_junk,
    duplicated_boundaries,
    broken_docx,
]


def broken_messages() -> list[bytes]:
    rng = random.Random(SEED)
    messages = [b"\r\n"]  # empty: no header, no body
    for n in range(COUNT):
        breaker = BREAKERS[n % len(BREAKERS)]
        head = _header(rng, n) if rng.random() < 0.9 else b""
        body = breaker(rng)
        messages.append(head + body if head else body + f"\r\nX-N: {n}\r\n".encode())
    return messages


async def test_every_broken_message_is_stored_and_decided_or_held(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    await distributed(db, time, smtpd)
    messages = broken_messages()
    for raw in messages:
        await dovecot.append(raw)
    uids = len(await dovecot.uids())
    assert uids == len(messages)

    async def all_done() -> bool:
        rows = await inbound(db)
        return len(rows) == len(messages) and all(r.status != "stored" for r in rows)

    async with running(make_front(db, time, smtpd, dovecot)) as task:
        await until(all_done)
        assert not task.done()  # nothing escaped the loop

    rows = await inbound(db)
    assert not [r for r in rows if r.status in ("stored", "quarantine")]
    assert all(r.raw for r in rows)
    held = [r for r in rows if r.status == "review"]
    assert all(r.reason for r in held)
