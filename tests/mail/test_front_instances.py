"""Two email fronts on one PostgreSQL schema, as two instances of the service run them: one
listens to the mailbox at a time, both send, and when the listener's lock connection dies the
other takes over. Every reply is recorded once and every receipt sent once."""

import contextlib
from collections.abc import AsyncIterator

import pytest

from consultation.timesource import ManualTime
from store.database import Database
from tests.databases import holder_pid, kill_backend, same_schema
from tests.mail.test_front import (
    ANSWERING,
    _equals,
    assert_one_receipt_each,
    assert_recorded_once,
    distributed,
    make_front,
    outbox_sent,
    reply_to_draft,
    running,
    until,
)
from tests.mail.transport.helpers import eventually
from tests.servers.dovecot import Dovecot
from tests.servers.imap_proxy import ImapProxy, running_proxy
from tests.servers.smtpd import SmtpServer

RETRY = 0.2  # seconds between a follower's tries for the listener's lock


@contextlib.asynccontextmanager
async def proxies(dovecot: Dovecot) -> AsyncIterator[tuple[ImapProxy, ImapProxy]]:
    """One way in per instance, to see which of them talks to the mailbox."""
    async with (
        running_proxy(dovecot.host, dovecot.port) as first,
        running_proxy(dovecot.host, dovecot.port) as second,
    ):
        yield first, second


async def test_one_front_listens_and_the_other_takes_over_when_its_lock_is_lost(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite runs a single instance")
    consultation = await distributed(db, time, smtpd)
    before, after = ANSWERING[:3], ANSWERING[3:]
    async with same_schema(db) as other, proxies(dovecot) as (way_one, way_two):
        one = make_front(db, time, smtpd, way_one, leader_retry=RETRY)
        two = make_front(other, time, smtpd, way_two, leader_retry=RETRY)
        async with running(one):
            await eventually(lambda: one.leading and way_one.idle_commands >= 1)
            async with running(two):
                for country in before:
                    await dovecot.append(reply_to_draft(smtpd, country, "Aprobamos el texto."))
                await until(lambda: _equals(outbox_sent(db, "answer_recorded"), 2 * len(before)))
                assert not two.leading and way_two.connections == 0  # it only sent

                pid = await holder_pid(db, "imap-listener:INBOX")
                assert pid is not None
                await kill_backend(db, pid)  # the listener's lock connection dies
                await eventually(lambda: two.leading and not one.leading)
                await eventually(lambda: way_one.open_connections == 0)  # it stopped listening
                for country in after:
                    await dovecot.append(reply_to_draft(smtpd, country, "Aprobamos el texto."))
                await until(lambda: _equals(outbox_sent(db, "answer_recorded"), 2 * len(ANSWERING)))
                assert way_two.idle_commands >= 1

    await assert_recorded_once(db, consultation, ANSWERING)
    assert_one_receipt_each(smtpd, ANSWERING)
