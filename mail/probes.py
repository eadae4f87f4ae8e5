"""Can the mail servers be used right now? For the readiness probe (``/readyz``).

Each probe opens its own connection, does what the service needs first (SMTP: greeting, TLS,
AUTH, NOOP; IMAP: greeting, TLS, LOGIN, SELECT of the mailbox) and closes it, so a wrong
password or a missing mailbox reads as not ready, not only a closed port. Each raises
`MailUnavailable` with the reason.
"""

from mail.imap_config import ImapConfig, ImapError
from mail.imap_session import ImapSession
from mail.smtp import SmtpConfig, SmtpSender, SmtpUnavailable


class MailUnavailable(Exception):
    """A mail server cannot be used; the message says why."""


async def smtp_ready(config: SmtpConfig) -> None:
    async with SmtpSender(config) as sender:
        try:
            await sender.noop()
        except SmtpUnavailable as exc:
            raise MailUnavailable(f"SMTP {config.host}:{config.port}: {exc}") from exc


async def imap_ready(config: ImapConfig) -> None:
    session = ImapSession(config)
    try:
        await session.open()
    except ImapError as exc:
        raise MailUnavailable(f"IMAP {config.host}:{config.port}: {exc}") from exc
    finally:
        await session.close()
