"""Settings from ``CONSULTA_*`` environment variables or a ``.env`` file, built once here.

Nested groups use ``__``: ``CONSULTA_SMTP__HOST``, ``CONSULTA_IMAP__PASSWORD``,
``CONSULTA_MAIL__SECRETS='["first", "older"]'``. `.env.example` documents every one.
"""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from consultation.vocabulary import Language

Security = Literal["none", "starttls", "tls"]


class DbSettings(BaseModel):
    # A file under ./var by default; PostgreSQL: postgresql+asyncpg://user:pass@host/db
    url: str = "sqlite+aiosqlite:///var/consulta.db"
    echo: bool = False
    # SQLite: how long a statement waits for another connection's write lock before the
    # transaction is started again (three times), then the loop backs off.
    busy_timeout_seconds: float = Field(default=10.0, gt=0)


class SmtpSettings(BaseModel):
    """Where notices are submitted (port 587 with STARTTLS, or 465 with TLS)."""

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    security: Security = "starttls"
    timeout: float = 30.0


class ImapSettings(BaseModel):
    """The mailbox replies arrive in (the plus-addressed Reply-To must deliver here)."""

    host: str | None = None  # none: the service sends but reads no replies
    port: int = 993
    username: str | None = None
    password: SecretStr | None = None
    security: Security = "tls"
    mailbox: str = "INBOX"
    processed: Literal["flag", "move"] = "flag"
    processed_folder: str = "Processed"
    poll_seconds: float = 60.0  # only where the server has no IDLE
    max_message_bytes: int = 25 * 1024 * 1024
    # Several instances on one PostgreSQL: one listens (it holds a lock), the others try for
    # the lock this often, so they take over within this long once the listener stops or dies.
    leader_retry_seconds: float = Field(default=15.0, gt=0)


class MailSettings(BaseModel):
    """Who the service writes as, and how replies are tied back to a consultation."""

    address: str = "consultas@crm.example"
    name: str = "Consultas CRM"
    reply_local: str = "consultas"  # replies go to consultas+<token>@<domain>
    domain: str = "crm.example"
    # The first signs reply tokens; the others still verify them (rotation without breaking
    # replies to drafts already sent). At least 16 characters each.
    secrets: list[SecretStr] = Field(default_factory=list)
    authserv_id: str | None = None  # our own MTA's Authentication-Results stamp
    dkim_verify: bool = False  # verify DKIM signatures ourselves (dkimpy)
    dns_servers: list[str] = Field(default_factory=list)  # for DKIM keys; empty: the system's
    dns_timeout: float = 5.0  # seconds for one DKIM key lookup
    send_interval: float = 10.0  # seconds between outbox checks when nothing wakes the sender
    # Replies are read in worker processes, each bounded: past the time the worker is killed,
    # past the memory an allocation fails; either way the reply is held for a person.
    read_workers: int = Field(default=1, ge=1, le=8)
    read_timeout_seconds: float = Field(default=120.0, gt=0)
    read_memory_mb: int = Field(default=2048, ge=256)


class HttpSettings(BaseModel):
    """The one HTTP port: ``/healthz``, ``/readyz`` and, over HTTP, Slack's requests."""

    host: str = "127.0.0.1"  # 0.0.0.0 in a container, behind the TLS proxy Slack talks to
    port: int = 8080


class WebSettings(BaseModel):
    """The console on the HTTP port. ``base_url`` is its public address (behind TLS, e.g.
    ``https://consulta.example.org``): links in emails, Slack and the digest point there, and
    sign-in links are built from it. Without it nothing links to the console."""

    base_url: str | None = None
    # Signs sign-in links and session cookies; at least 32 characters. Required when the
    # console is served (the first signs, the others still verify: rotation).
    secrets: list[SecretStr] = Field(default_factory=list)
    # Behind a proxy that appends the client's address to X-Forwarded-For: the sign-in limits
    # per client count that address (its last hop), not the proxy's.
    behind_proxy: bool = False


class LogSettings(BaseModel):
    """``CONSULTA_LOG__FORMAT=json``: one JSON object per line, for a log collector."""

    format: Literal["auto", "json", "text"] = "auto"  # auto: text on a terminal, else JSON
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(BaseSettings):
    """``CONSULTA_DB__URL``, ``CONSULTA_LANGUAGE``, ``CONSULTA_ROSTER``…"""

    model_config = SettingsConfigDict(
        env_prefix="CONSULTA_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    db: DbSettings = DbSettings()
    smtp: SmtpSettings = SmtpSettings()
    imap: ImapSettings = ImapSettings()
    mail: MailSettings = MailSettings()
    language: Language = Language.EN  # of the command line's own output
    roster: Path | None = None  # imported on `consulta roster import` without a file
    schedule: "ScheduleSettings" = Field(default_factory=lambda: ScheduleSettings())
    http: HttpSettings = HttpSettings()
    log: LogSettings = LogSettings()
    web: WebSettings = WebSettings()
    slack: "SlackSettings | None" = None  # no Slack front without a bot token


class ScheduleSettings(BaseModel):
    """``CONSULTA_SCHEDULE__DIGEST_HOUR=8``…: reminders, the ST's digest, the tick."""

    reminder_lead_days: int = 1  # business days before the deadline
    reminder_hour: int = 9  # in the PPT's timezone
    digest_hour: int = 8  # in the ST's timezone
    st_calendar: str = "CR"  # the ST's business days: Costa Rica's
    st_timezone: str = "America/Costa_Rica"
    extension_days: int = 2  # offered to the PPT when a country asks for more time
    interval_seconds: float = 30.0  # between ticks


class SlackSettings(BaseModel):
    """``CONSULTA_SLACK__BOT_TOKEN``… Socket Mode when ``app_token`` is set, else HTTP."""

    bot_token: str  # xoxb-…
    signing_secret: str | None = None  # required in HTTP mode: Slack signs every request
    app_token: str | None = None  # xapp-…: Socket Mode, for ministries without a public endpoint
    status_channel: str = ""  # the PPT's channel (id) where each consultation's status lives
    path: str = "/slack/events"  # on the service's HTTP port (CONSULTA_HTTP__PORT)
    api_url: str = "https://slack.com/api/"  # a test server's, in tests
    send_interval: float = 5.0  # seconds between outbox checks when nothing wakes the sender


Settings.model_rebuild()  # resolves the groups defined after Settings
