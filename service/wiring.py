"""Settings turned into the running pieces, with every missing setting named up front.

`check` lists what stops the service from starting, each as one sentence naming the variable
to set; `mail_front` and `schedule_config` build the pieces from settings that passed it.
"""

from collections.abc import Callable

from jinja2 import Environment

from consultation.errors import ConsultaError
from consultation.links import ConsoleLinks
from consultation.scheduler import ScheduleConfig
from consultation.timesource import TimeSource
from mail.authentication import AuthenticationConfig
from mail.compose import Identity
from mail.front import MailFront, MailFrontConfig
from mail.imap import ImapConfig
from mail.reader_pool import PoolBounds, PooledReader
from mail.smtp import SmtpConfig
from service.settings import Settings
from store.database import Database
from web.console import WebConfig

MIN_SECRET_LENGTH = 16
MIN_WEB_SECRET_LENGTH = 32


class ConfigurationError(ConsultaError):
    """The service cannot start: the message says which setting is missing or wrong."""


def check(settings: Settings) -> list[str]:
    problems = []
    if not settings.smtp.host:
        problems.append("no SMTP server: set CONSULTA_SMTP__HOST")
    if not settings.mail.secrets:
        problems.append(
            "no secret to sign reply addresses: set CONSULTA_MAIL__SECRETS "
            "(a JSON list, e.g. '[\"a long random string\"]')"
        )
    elif any(len(s.get_secret_value()) < MIN_SECRET_LENGTH for s in settings.mail.secrets):
        problems.append(f"every CONSULTA_MAIL__SECRETS entry needs {MIN_SECRET_LENGTH}+ characters")
    slack = settings.slack
    if slack is not None and not slack.app_token and not slack.signing_secret:
        problems.append(
            "Slack over HTTP needs the app's signing secret: set CONSULTA_SLACK__SIGNING_SECRET "
            "(or CONSULTA_SLACK__APP_TOKEN for Socket Mode)"
        )
    if slack is not None and not slack.status_channel:
        problems.append(
            "Slack needs the PPT's channel for status messages: set CONSULTA_SLACK__STATUS_CHANNEL"
        )
    problems += _web_problems(settings)
    imap = settings.imap
    if imap.host and not (imap.username and imap.password):
        problems.append(
            "IMAP is configured without credentials: set CONSULTA_IMAP__USERNAME and "
            "CONSULTA_IMAP__PASSWORD"
        )
    return problems


def _web_problems(settings: Settings) -> list[str]:
    """The console runs when it has secrets; then it needs its public address, which every
    sign-in link starts with (never the address a request claims: a forged Host header would
    send a link's token elsewhere)."""
    web = settings.web
    if not web.secrets:
        return []
    problems = []
    if not web.base_url:
        problems.append(
            "the web console needs its public address for sign-in links: set "
            "CONSULTA_WEB__BASE_URL (e.g. https://consulta.example.org)"
        )
    elif not web.base_url.startswith(("https://", "http://")):
        problems.append("CONSULTA_WEB__BASE_URL must start with https:// (or http:// locally)")
    if any(len(s.get_secret_value()) < MIN_WEB_SECRET_LENGTH for s in web.secrets):
        problems.append(
            f"every CONSULTA_WEB__SECRETS entry needs {MIN_WEB_SECRET_LENGTH}+ characters"
        )
    return problems


def web_config(settings: Settings) -> WebConfig | None:
    """The console's settings, or None when it is off (no CONSULTA_WEB__SECRETS)."""
    web = checked(settings).web
    if not web.secrets or not web.base_url:
        return None
    return WebConfig(
        base_url=web.base_url.rstrip("/"),
        secrets=tuple(s.get_secret_value() for s in web.secrets),
        behind_proxy=web.behind_proxy,
    )


def checked(settings: Settings) -> Settings:
    problems = check(settings)
    if problems:
        raise ConfigurationError("; ".join(problems))
    return settings


def identity(settings: Settings) -> Identity:
    mail = settings.mail
    return Identity(
        address=mail.address,
        name=mail.name,
        reply_local=mail.reply_local,
        domain=mail.domain,
        secrets=tuple(s.get_secret_value().encode() for s in mail.secrets),
        console=ConsoleLinks.of(settings.web.base_url),
    )


def smtp_config(settings: Settings) -> SmtpConfig:
    smtp = settings.smtp
    assert smtp.host is not None, "checked() first"
    return SmtpConfig(
        host=smtp.host,
        port=smtp.port,
        username=smtp.username,
        password=smtp.password.get_secret_value() if smtp.password else None,
        security=smtp.security,
        timeout=smtp.timeout,
    )


def imap_config(settings: Settings) -> ImapConfig | None:
    imap = settings.imap
    if not imap.host:
        return None
    assert imap.username and imap.password, "checked() first"
    return ImapConfig(
        host=imap.host,
        port=imap.port,
        username=imap.username,
        password=imap.password.get_secret_value(),
        mailbox=imap.mailbox,
        security=imap.security,
        processed=imap.processed,
        processed_folder=imap.processed_folder,
        poll_seconds=imap.poll_seconds,
        max_message_bytes=imap.max_message_bytes,
    )


def schedule_config(settings: Settings) -> ScheduleConfig:
    chosen = settings.schedule
    return ScheduleConfig(
        reminder_lead_days=chosen.reminder_lead_days,
        reminder_hour=chosen.reminder_hour,
        digest_hour=chosen.digest_hour,
        st_calendar=chosen.st_calendar,
        st_timezone=chosen.st_timezone,
        extension_days=chosen.extension_days,
    )


def mail_front(
    settings: Settings,
    db: Database,
    *,
    env: Environment,
    time: TimeSource,
    after_receive: Callable[[], None] | None = None,
) -> MailFront:
    settings = checked(settings)
    config = MailFrontConfig(
        imap=imap_config(settings),
        smtp=smtp_config(settings),
        identity=identity(settings),
        authserv_id=settings.mail.authserv_id,
        authentication=AuthenticationConfig(
            authserv_id=settings.mail.authserv_id,
            dkim_verify=settings.mail.dkim_verify,
            dns_servers=tuple(settings.mail.dns_servers),
            dns_timeout=settings.mail.dns_timeout,
        ),
        interval=settings.mail.send_interval,
        leader_retry=settings.imap.leader_retry_seconds,
    )
    reader = PooledReader(
        PoolBounds(
            workers=settings.mail.read_workers,
            timeout_seconds=settings.mail.read_timeout_seconds,
            memory_mb=settings.mail.read_memory_mb,
        )
    )
    return MailFront(db, config, env=env, time=time, after_receive=after_receive, reader=reader)
