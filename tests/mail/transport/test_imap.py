"""ImapListener against a real Dovecot: order, position, IDLE, reconnection, marking."""

import asyncio
import dataclasses
from typing import Any, Literal

import pytest

from mail.imap import DONE_KEYWORD, Fetched, ImapConfig, ImapListener, ImapLoginRefused
from mail.mailbox_state import MemoryMailboxState
from tests.mail.transport.helpers import (
    WAIT,
    Inbox,
    RecordingSleep,
    eventually,
    listening,
    message_number,
    raw_message,
)
from tests.servers.dovecot import Dovecot, running_dovecot
from tests.servers.imap_proxy import ImapProxy, running_proxy
from tests.servers.ports import free_port
from tests.servers.tls import TlsFiles


def config(server: Dovecot | ImapProxy, **overrides: Any) -> ImapConfig:
    settings: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "username": Dovecot.user,
        "password": Dovecot.password,
        "timeout": 5.0,
        "reconnect_initial": 0.05,
        "reconnect_max": 0.4,
    } | overrides
    return ImapConfig(**settings)


def listener(
    server: Dovecot | ImapProxy, state: MemoryMailboxState | None = None, **overrides: Any
) -> ImapListener:
    # A real but short pause between reconnections, so a down server is not hammered.
    return ImapListener(
        config(server, **overrides), state or MemoryMailboxState(), sleep=RecordingSleep(0.02)
    )


async def saved(state: MemoryMailboxState, uid: int) -> None:
    await eventually(lambda: state.positions.get("INBOX", (None, 0))[1] >= uid)


async def deliver(server: Dovecot, *numbers: int) -> None:
    for n in numbers:
        await server.append(raw_message(n))


async def test_waiting_messages_arrive_in_uid_order_and_position_is_saved(
    dovecot: Dovecot,
) -> None:
    await deliver(dovecot, 10, 11, 12)
    state, inbox = MemoryMailboxState(), Inbox()

    async with listening(listener(dovecot, state), inbox):
        await inbox.wait_for(3)

    assert inbox.handled == [(1, 10), (2, 11), (3, 12)]
    assert state.positions["INBOX"] == (await dovecot.uidvalidity(), 3)


async def test_restart_resumes_after_the_last_uid(dovecot: Dovecot) -> None:
    state = MemoryMailboxState()
    await deliver(dovecot, 1, 2)
    first, second = Inbox(), Inbox()
    assert await listener(dovecot, state).poll_once(first) == 2

    await deliver(dovecot, 3)
    async with listening(listener(dovecot, state), second):
        await second.wait_for(1)

    assert first.numbers == [1, 2]
    assert second.numbers == [3]


async def test_mail_delivered_while_idling_arrives_promptly(dovecot: Dovecot) -> None:
    inbox = Inbox()
    async with running_proxy(dovecot.host, dovecot.port) as proxy:
        async with listening(listener(proxy), inbox):
            await eventually(lambda: proxy.idle_commands >= 1)
            await deliver(dovecot, 7)
            # Within WAIT, far under Dovecot's fallback re-check: only IDLE's push gets it here.
            await inbox.wait_for(1)

    assert inbox.numbers == [7]


async def test_mail_arriving_during_a_catch_up_is_not_left_waiting(dovecot: Dovecot) -> None:
    # Message 2 arrives while message 1 is being handled. Dovecot announces it at the end of
    # the next command (the STORE that marks 1), not when IDLE starts: missing that line
    # would leave message 2 waiting for Dovecot's 30-second fallback check.
    inbox = Inbox()

    async def handler(message: Fetched) -> None:
        if message_number(message.raw) == 1:
            await deliver(dovecot, 2)
        await inbox(message)

    await deliver(dovecot, 1)
    async with listening(listener(dovecot), handler):
        await inbox.wait_for(2)  # within WAIT, so not left for Dovecot's fallback re-check

    assert inbox.numbers == [1, 2]


async def test_fetching_does_not_mark_seen_only_handling_does(dovecot: Dovecot) -> None:
    await deliver(dovecot, 1)
    flags_while_handling: set[str] = set()

    async def handler(message: Fetched) -> None:
        flags_while_handling.update(await dovecot.keywords(message.uid))

    await listener(dovecot).poll_once(handler)

    assert "\\Seen" not in flags_while_handling
    assert {"\\Seen", DONE_KEYWORD} <= await dovecot.keywords(1)
    assert await dovecot.uids() == [1]


async def test_move_mode_creates_the_folder_and_moves_each_message(dovecot: Dovecot) -> None:
    await deliver(dovecot, 1, 2)
    inbox = Inbox()

    handled = await listener(dovecot, processed="move", processed_folder="Done Replies").poll_once(
        inbox
    )

    assert handled == 2
    assert await dovecot.uids() == []
    assert await dovecot.uids("Done Replies") == [1, 2]


async def test_move_without_the_move_extension_copies_and_expunges() -> None:
    async with running_dovecot(move=False) as dovecot:
        await deliver(dovecot, 1, 2)
        await dovecot.create_mailbox("Processed")
        await dovecot.append(raw_message(99), "Processed")

        await listener(dovecot, processed="move").poll_once(Inbox())

        assert await dovecot.uids() == []
        assert await dovecot.uids("Processed") == [1, 2, 3]


async def test_uidvalidity_change_rescans_from_uid_1(dovecot: Dovecot) -> None:
    state = MemoryMailboxState()
    await deliver(dovecot, 1, 2)
    await listener(dovecot, state).poll_once(Inbox())

    await dovecot.set_uidvalidity(await dovecot.uidvalidity() + 1000)
    again = Inbox()
    await listener(dovecot, state).poll_once(again)

    # Everything again: old UIDs mean nothing under a new UIDVALIDITY; the handler dedups.
    assert again.numbers == [1, 2]
    assert state.positions["INBOX"] == (await dovecot.uidvalidity(), 2)


async def test_uidvalidity_change_while_listening_rescans(dovecot: Dovecot) -> None:
    state, inbox = MemoryMailboxState(), Inbox()
    await deliver(dovecot, 1)
    async with listening(listener(dovecot, state), inbox):
        await inbox.wait_for(1)
        await dovecot.set_uidvalidity(await dovecot.uidvalidity() + 1000)
        await deliver(dovecot, 2)
        await inbox.wait_for(3)

    assert inbox.numbers == [1, 1, 2]


async def test_polls_when_the_server_has_no_idle() -> None:
    async with running_dovecot(idle=False) as dovecot:
        async with running_proxy(dovecot.host, dovecot.port) as proxy:
            inbox = Inbox()
            async with listening(listener(proxy, poll_seconds=0.1), inbox):
                await deliver(dovecot, 1)
                await inbox.wait_for(1)
                await deliver(dovecot, 2)
                await inbox.wait_for(2)

            assert inbox.numbers == [1, 2]
            assert proxy.idle_commands == 0


@pytest.mark.parametrize("graceful", [True, False], ids=["bye", "crash"])
async def test_server_restart_reconnects(dovecot: Dovecot, graceful: bool) -> None:
    state, inbox = MemoryMailboxState(), Inbox()
    async with listening(listener(dovecot, state), inbox):
        await deliver(dovecot, 1)
        await saved(state, 1)  # else the restart may land between handling and saving
        await dovecot.restart(graceful=graceful)
        await deliver(dovecot, 2)
        await inbox.wait_for(2)

    assert inbox.numbers == [1, 2]


async def test_connection_killed_during_idle_reconnects(dovecot: Dovecot) -> None:
    inbox = Inbox()
    async with running_proxy(dovecot.host, dovecot.port) as proxy:
        async with listening(listener(proxy), inbox):
            await eventually(lambda: proxy.idle_commands >= 1)
            proxy.drop_all()
            await eventually(lambda: proxy.idle_commands >= 2)
            await deliver(dovecot, 1)
            await inbox.wait_for(1)

    assert inbox.numbers == [1]


async def test_admin_kick_during_idle_reconnects(dovecot: Dovecot) -> None:
    state, inbox = MemoryMailboxState(), Inbox()
    async with listening(listener(dovecot, state), inbox):
        await deliver(dovecot, 1)
        await saved(state, 1)
        await dovecot.kick()
        await deliver(dovecot, 2)
        await inbox.wait_for(2)

    assert inbox.numbers == [1, 2]


async def test_bye_instead_of_idling_reconnects(dovecot: Dovecot) -> None:
    inbox = Inbox()
    async with running_proxy(dovecot.host, dovecot.port) as proxy:
        proxy.bye_on_idle(times=2)
        async with listening(listener(proxy), inbox):
            await eventually(lambda: proxy.idle_commands >= 3)
            await deliver(dovecot, 1)
            await inbox.wait_for(1)

        assert proxy.connections == 3
    assert inbox.numbers == [1]


async def test_watchdog_notices_a_connection_gone_silent(dovecot: Dovecot) -> None:
    inbox = Inbox()
    async with running_proxy(dovecot.host, dovecot.port) as proxy:
        quick = listener(proxy, watchdog_seconds=0.2, timeout=1.0)
        async with listening(quick, inbox):
            await eventually(lambda: proxy.idle_commands >= 1)
            proxy.go_silent()  # no FIN, no RST: only the unanswered DONE gives it away
            await eventually(lambda: proxy.connections == 2)
            await deliver(dovecot, 1)
            await inbox.wait_for(1)

    assert inbox.numbers == [1]


async def test_idle_is_renewed_before_the_deadline(dovecot: Dovecot) -> None:
    inbox = Inbox()
    async with running_proxy(dovecot.host, dovecot.port) as proxy:
        async with listening(listener(proxy, idle_renew_seconds=0.2), inbox):
            await eventually(lambda: proxy.idle_commands >= 4)
            await deliver(dovecot, 1)
            await inbox.wait_for(1)

        assert proxy.connections == 1  # renewed in place, not by reconnecting
    assert inbox.numbers == [1]


async def test_a_message_over_the_size_limit_is_handed_over_as_its_header_alone(
    dovecot: Dovecot,
) -> None:
    big = raw_message(2).replace(b"We approve (2).", b"A" * (30 * 1024 * 1024))
    await deliver(dovecot, 1)
    await dovecot.append(big)
    await deliver(dovecot, 3)
    got: list[Fetched] = []

    async def handler(message: Fetched) -> None:
        got.append(message)

    async with running_proxy(dovecot.host, dovecot.port) as proxy:
        await listener(proxy).poll_once(handler)

    assert [(m.uid, m.complete) for m in got] == [(1, True), (2, False), (3, True)]
    header = got[1]
    assert header.size > 30 * 1024 * 1024 and header.raw.endswith(b"\r\n\r\n")
    assert message_number(header.raw) == 2 and b"AAAA" not in header.raw
    assert proxy.bytes_to_client < 64 * 1024  # the body never crossed the wire
    assert DONE_KEYWORD in await dovecot.keywords(2)  # handled, so marked: no refetch loop


async def test_handler_failure_leaves_run_and_the_message_unhandled(dovecot: Dovecot) -> None:
    state = MemoryMailboxState()
    await deliver(dovecot, 1, 2)
    seen: list[int] = []

    async def fragile(message: Fetched) -> None:
        seen.append(message_number(message.raw))
        if message_number(message.raw) == 2:
            raise ValueError("cannot read this one")

    with pytest.raises(ValueError, match="cannot read this one"):
        await listener(dovecot, state).run(fragile, asyncio.Event())

    assert seen == [1, 2]
    assert state.positions["INBOX"][1] == 1
    assert DONE_KEYWORD not in await dovecot.keywords(2)
    retry = Inbox()
    await listener(dovecot, state).poll_once(retry)
    assert retry.numbers == [2]
    # Message 1 was handled in the failed batch but not yet marked; the next session did.
    assert DONE_KEYWORD in await dovecot.keywords(1)


@pytest.mark.parametrize("processed", ["flag", "move"])
async def test_handled_but_unmarked_messages_are_marked_not_handled_again(
    dovecot: Dovecot, processed: str
) -> None:
    # As if a listener died after saving its position but before marking: 1 and 2 are
    # handled (saved), 3 is new.
    await deliver(dovecot, 1, 2, 3)
    state = MemoryMailboxState()
    await state.save("INBOX", await dovecot.uidvalidity(), 2)
    inbox = Inbox()

    await listener(dovecot, state, processed=processed).poll_once(inbox)

    assert inbox.numbers == [3]
    if processed == "flag":
        assert all([DONE_KEYWORD in await dovecot.keywords(uid) for uid in (1, 2, 3)])
    else:
        assert await dovecot.uids() == []
        assert await dovecot.uids("Processed") == [1, 2, 3]


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_tls(tls_files: TlsFiles, security: Literal["starttls", "tls"]) -> None:
    async with running_dovecot(tls=tls_files) as dovecot:
        await deliver(dovecot, 1)
        port = dovecot.tls_port if security == "tls" else dovecot.port
        secure = listener(
            dovecot, security=security, port=port, tls_context=tls_files.client_context()
        )

        assert await secure.poll_once(Inbox()) == 1
        assert "TLS, session" in dovecot.log  # Dovecot logs how each login was secured


async def test_cancellation_logs_out_and_propagates(dovecot: Dovecot) -> None:
    async with running_proxy(dovecot.host, dovecot.port) as proxy:
        stop = asyncio.Event()
        task = asyncio.create_task(listener(proxy).run(Inbox(), stop))
        await eventually(lambda: proxy.idle_commands >= 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, WAIT)

    await eventually(lambda: "Disconnected: Logged out" in dovecot.log)


async def test_wrong_password_is_raised_not_retried(dovecot: Dovecot) -> None:
    sleep = RecordingSleep()
    wrong = ImapListener(config(dovecot, password="wrong"), MemoryMailboxState(), sleep=sleep)

    with pytest.raises(ImapLoginRefused):
        await wrong.run(Inbox(), asyncio.Event())
    assert sleep.delays == []


async def test_unreachable_server_backs_off_exponentially() -> None:
    stop = asyncio.Event()

    class StopAfterSix(RecordingSleep):
        async def __call__(self, delay: float) -> None:
            await super().__call__(delay)
            if len(self.delays) == 6:
                stop.set()

    sleep = StopAfterSix()
    nowhere = ImapConfig(
        "127.0.0.1", free_port(), "u", "p", reconnect_initial=1.0, reconnect_max=10.0
    )
    await ImapListener(nowhere, MemoryMailboxState(), sleep=sleep).run(Inbox(), stop)

    assert sleep.delays == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_idle_renewal_must_stay_well_under_29_minutes() -> None:
    good = ImapConfig(host="h", port=143, username="u", password="p")
    assert good.idle_renew_seconds == 20 * 60
    with pytest.raises(ValueError, match="idle_renew_seconds"):
        dataclasses.replace(good, idle_renew_seconds=29 * 60)
