"""SmtpSender against a real aiosmtpd: one connection, per-recipient outcomes, retries."""

import dataclasses

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from mail.smtp import Outcome, SmtpConfig, SmtpSender
from tests.mail.transport.helpers import RecordingSleep, make_message
from tests.servers.ports import free_port
from tests.servers.smtpd import SmtpServer, running_smtpd
from tests.servers.tls import TlsFiles

FOCAL_POINTS = [f"focal.{code}@example.org" for code in "bz ca cr sv us gt hn mx ni pa do".split()]


def config(server: SmtpServer) -> SmtpConfig:
    return SmtpConfig(host=server.host, port=server.port, timeout=5.0, local_hostname="consulta")


async def test_fan_out_reuses_one_connection(smtpd: SmtpServer) -> None:
    async with SmtpSender(config(smtpd)) as sender:
        for n, address in enumerate(FOCAL_POINTS):
            result = await sender.send(make_message(n, to=address), [address])
            assert result.accepted == [address]

    assert smtpd.connections == 1
    assert [mail.rcpt_tos for mail in smtpd.received] == [(a,) for a in FOCAL_POINTS]


async def test_envelope_not_headers_decides_recipients(smtpd: SmtpServer) -> None:
    msg = make_message(to="someone.else@example.org")
    async with SmtpSender(config(smtpd)) as sender:
        await sender.send(msg, ["a@example.org"], sender="bounces@crm.example")

    [mail] = smtpd.received
    assert mail.mail_from == "bounces@crm.example"
    assert mail.rcpt_tos == ("a@example.org",)
    assert b"Message-ID: <consulta.CRM-2026-007.v1.1@crm.example>" in mail.data


async def test_4xx_retries_only_the_failing_recipient(
    smtpd: SmtpServer, sleep: RecordingSleep
) -> None:
    smtpd.inject("rcpt", "450 4.2.0 Mailbox busy", recipient="b@example.org", times=2)
    recipients = ["a@example.org", "b@example.org", "c@example.org"]

    async with SmtpSender(config(smtpd), sleep=sleep) as sender:
        result = await sender.send_with_retry(make_message(), recipients, backoff=1.0)

    assert result.accepted == recipients
    assert sleep.delays == [1.0, 2.0]
    assert [mail.rcpt_tos for mail in smtpd.received] == [
        ("a@example.org", "c@example.org"),
        ("b@example.org",),
    ]


async def test_first_attempt_reports_the_4xx_with_code(smtpd: SmtpServer) -> None:
    smtpd.inject("rcpt", "451 4.3.0 Try later", recipient="b@example.org")
    async with SmtpSender(config(smtpd)) as sender:
        result = await sender.send(make_message(), ["a@example.org", "b@example.org"])

    b = result["b@example.org"]
    assert (b.outcome, b.code, b.message) == (Outcome.TRANSIENT, 451, "4.3.0 Try later")
    assert result.accepted == ["a@example.org"]
    assert not result.settled


async def test_5xx_is_permanent_and_not_retried(smtpd: SmtpServer, sleep: RecordingSleep) -> None:
    smtpd.inject("rcpt", "550 5.1.1 No such user", recipient="b@example.org", times=99)

    async with SmtpSender(config(smtpd), sleep=sleep) as sender:
        result = await sender.send_with_retry(make_message(), ["a@example.org", "b@example.org"])

    assert result.accepted == ["a@example.org"]
    assert result.permanent == ["b@example.org"]
    assert result["b@example.org"].code == 550
    assert sleep.delays == []
    assert smtpd.handler.rcpt_commands == 2


async def test_every_recipient_refused_gives_each_its_own_outcome(smtpd: SmtpServer) -> None:
    # aiosmtplib raises SMTPRecipientsRefused only in this case; the outcomes must survive it.
    smtpd.inject("rcpt", "550 5.1.1 Unknown", recipient="a@example.org")
    smtpd.inject("rcpt", "452 4.2.2 Over quota", recipient="b@example.org")

    async with SmtpSender(config(smtpd)) as sender:
        result = await sender.send(make_message(), ["a@example.org", "b@example.org"])
        # The transaction was reset: the connection still works for the next message.
        assert (await sender.send(make_message(2), ["c@example.org"])).accepted

    assert [(r.outcome, r.code) for r in result.results] == [
        (Outcome.PERMANENT, 550),
        (Outcome.TRANSIENT, 452),
    ]
    assert smtpd.connections == 1


@pytest.mark.parametrize(
    ("stage", "reply", "outcome"),
    [
        ("mail", "451 4.7.1 Greylisted", Outcome.SENDER_REFUSED),
        ("mail", "554 5.7.1 Client host blocked", Outcome.SENDER_REFUSED),
        ("data", "452 4.3.1 Insufficient storage", Outcome.SENDER_REFUSED),
        ("data", "554 5.6.0 Message rejected", Outcome.SENDER_REFUSED),
    ],
)
async def test_refusal_at_mail_from_or_data_is_the_senders_not_a_recipients(
    smtpd: SmtpServer, stage: str, reply: str, outcome: Outcome
) -> None:
    smtpd.inject(stage, reply)  # type: ignore[arg-type]
    recipients = ["a@example.org", "b@example.org"]

    async with SmtpSender(config(smtpd)) as sender:
        result = await sender.send(make_message(), recipients)

    code = int(reply[:3])
    assert [(r.outcome, r.code) for r in result.results] == [(outcome, code)] * 2
    assert result.permanent == [] and result.retryable == recipients  # no address blamed
    assert smtpd.received == []


@pytest.mark.parametrize("failure", ["421 4.3.2 Service shutting down", None])
async def test_connection_lost_mid_fan_out_recovers_without_duplicates(
    smtpd: SmtpServer, sleep: RecordingSleep, failure: str | None
) -> None:
    # After 3 of 11 focal points the server says 421 and hangs up (or just hangs up).
    smtpd.inject("mail", failure, after=3)

    async with SmtpSender(config(smtpd), sleep=sleep) as sender:
        for n, address in enumerate(FOCAL_POINTS):
            result = await sender.send_with_retry(make_message(n, to=address), [address])
            assert result.accepted == [address]

    assert sorted(r for mail in smtpd.received for r in mail.rcpt_tos) == sorted(FOCAL_POINTS)
    assert smtpd.connections == 2
    # A 421 is a reply: retried after a pause. A dead connection is replaced at once.
    assert len(sleep.delays) == (1 if failure else 0)


async def test_server_closing_an_idle_connection_is_reopened(smtpd: SmtpServer) -> None:
    async with SmtpSender(config(smtpd)) as sender:
        assert (await sender.send(make_message(1), ["a@example.org"])).accepted
        smtpd.drop_connections()
        assert (await sender.send(make_message(2), ["a@example.org"])).accepted

    assert smtpd.connections == 2
    assert len(smtpd.received) == 2


async def test_421_reports_a_refused_sender_with_code(smtpd: SmtpServer) -> None:
    smtpd.inject("mail", "421 4.3.2 Shutting down")
    async with SmtpSender(config(smtpd)) as sender:
        result = await sender.send(make_message(), ["a@example.org"])

    assert (result["a@example.org"].outcome, result["a@example.org"].code) == (
        Outcome.SENDER_REFUSED,
        421,
    )


async def test_unreachable_server_is_the_senders_problem_not_an_exception(
    sleep: RecordingSleep,
) -> None:
    nowhere = SmtpConfig(host="127.0.0.1", port=free_port(), timeout=2.0)
    async with SmtpSender(nowhere, sleep=sleep) as sender:
        result = await sender.send_with_retry(
            make_message(), ["a@example.org"], attempts=4, backoff=10.0, max_backoff=25.0
        )

    only = result["a@example.org"]
    assert (only.outcome, only.code) == (Outcome.SENDER_REFUSED, None)
    assert sleep.delays == [10.0, 20.0, 25.0]


async def test_duplicate_recipients_are_sent_once(smtpd: SmtpServer) -> None:
    async with SmtpSender(config(smtpd)) as sender:
        result = await sender.send(make_message(), ["a@example.org", "a@example.org"])

    assert result.accepted == ["a@example.org"]
    assert smtpd.received[0].rcpt_tos == ("a@example.org",)


def _accept_secret(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


async def test_starttls_then_auth(tls_files: TlsFiles) -> None:
    async with running_smtpd(
        tls_context=tls_files.server_context(),
        require_starttls=True,
        auth_required=True,
        authenticator=_accept_secret,
    ) as server:
        secure = dataclasses.replace(
            config(server),
            security="starttls",
            tls_context=tls_files.client_context(),
            username="consulta",
            password="s3cret",
        )
        async with SmtpSender(secure) as sender:
            result = await sender.send(make_message(), ["a@example.org"])

        assert result.accepted == ["a@example.org"]
        assert len(server.received) == 1


async def test_wrong_password_refuses_the_sender_not_the_recipient(tls_files: TlsFiles) -> None:
    async with running_smtpd(
        tls_context=tls_files.server_context(), auth_required=True, authenticator=_accept_secret
    ) as server:
        secure = dataclasses.replace(
            config(server),
            security="starttls",
            tls_context=tls_files.client_context(),
            username="consulta",
            password="wrong",
        )
        async with SmtpSender(secure) as sender:
            result = await sender.send(make_message(), ["a@example.org"])

    assert (result["a@example.org"].outcome, result["a@example.org"].code) == (
        Outcome.SENDER_REFUSED,
        535,
    )


async def test_implicit_tls(tls_files: TlsFiles) -> None:
    async with running_smtpd(implicit_tls=tls_files.server_context()) as server:
        secure = dataclasses.replace(
            config(server), security="tls", tls_context=tls_files.client_context()
        )
        async with SmtpSender(secure) as sender:
            assert (await sender.send(make_message(), ["a@example.org"])).accepted

        assert len(server.received) == 1


async def test_non_ascii_address_without_smtputf8_is_permanent(smtpd: SmtpServer) -> None:
    async with SmtpSender(config(smtpd)) as sender:
        result = await sender.send(make_message(), ["josé@example.org"])

    assert result.permanent == ["josé@example.org"]
    assert smtpd.received == []
