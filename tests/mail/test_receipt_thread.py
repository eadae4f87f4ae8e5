"""Through the running front (Dovecot in, aiosmtpd out): a receipt answers the reply it
acknowledges, so mail programs show the draft, the reply and the receipt as one thread."""

from collections.abc import Awaitable

from consultation.timesource import ManualTime
from store.database import Database
from tests.mail.test_front import (
    distributed,
    focal_point,
    make_front,
    outbox_sent,
    parsed,
    reply_to_draft,
    running,
    until,
)
from tests.servers.dovecot import Dovecot
from tests.servers.smtpd import SmtpServer


async def test_the_receipt_threads_with_the_reply_it_acknowledges(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    await distributed(db, time, smtpd)
    reply = parsed(reply_to_draft(smtpd, "GT", "Aprobamos el texto."))
    await dovecot.append(reply.as_bytes())
    async with running(make_front(db, time, smtpd, dovecot)):
        await until(lambda: _at_least(outbox_sent(db, "answer_recorded"), 2))
    receipts = [
        parsed(m.data)
        for m in smtpd.delivered_to(focal_point("GT"))
        if "registrada" in str(parsed(m.data)["Subject"])
    ]
    assert receipts
    for receipt in receipts:
        assert receipt["In-Reply-To"] == reply["Message-ID"]
        assert receipt["References"].split() == [reply["In-Reply-To"], reply["Message-ID"]]


async def _at_least(count: Awaitable[int], expected: int) -> bool:
    return await count >= expected
