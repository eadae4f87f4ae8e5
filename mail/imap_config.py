"""What the IMAP listener is told (one mailbox, how to reach it) and the errors it raises.

ImapError
 ├── ImapConnectionError   refused, dropped, silent, BYE: the listener reconnects (backoff)
 ├── ImapServerError       a NO/BAD to a command it needs: reconnects too (often temporary)
 └── ImapLoginRefused      the credentials are wrong: raised out of `run`, retrying won't help
"""

import ssl
from dataclasses import dataclass, field
from typing import Literal

Security = Literal["none", "starttls", "tls"]

DONE_KEYWORD = "$Consulta-Done"
# RFC 2177: servers may drop a client idle for 30 minutes, so clients re-IDLE before 29. We
# insist on a wider margin: the renewal may wait behind a slow command, and clocks drift.
MAX_IDLE_RENEW_SECONDS = 25 * 60
# Larger messages are not downloaded: only their header is, to say who sent what (a reply with
# a 30 MB scan attached should not stall the mailbox or fill the database). Gmail's own
# attachment limit is 25 MB, so a genuine reply fits.
DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024


class ImapError(Exception):
    """Something went wrong talking to the IMAP server."""


class ImapConnectionError(ImapError):
    """The connection failed, dropped, went silent, or the server said BYE."""


class ImapServerError(ImapError):
    """The server answered NO or BAD to a command the listener cannot do without."""


class ImapLoginRefused(ImapError):
    """The server refused the credentials."""


@dataclass(frozen=True)
class ImapConfig:
    """One mailbox to listen to. Mailbox and folder names must be ASCII (no modified UTF-7)."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    mailbox: str = "INBOX"
    security: Security = "none"
    idle_renew_seconds: float = 20 * 60
    # Silence tolerated in IDLE before ending it to check the server still answers.
    watchdog_seconds: float = 4 * 60
    poll_seconds: float = 60.0
    processed: Literal["flag", "move"] = "flag"
    processed_folder: str = "Processed"
    timeout: float = 30.0  # for one command (a FETCH: between two chunks of data)
    fetch_batch: int = 50  # messages per UID FETCH
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    reconnect_initial: float = 1.0
    reconnect_max: float = 300.0
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.idle_renew_seconds <= MAX_IDLE_RENEW_SECONDS:
            raise ValueError(f"idle_renew_seconds must be in (0, {MAX_IDLE_RENEW_SECONDS}]")
        if min(self.watchdog_seconds, self.poll_seconds, self.timeout) <= 0:
            raise ValueError("watchdog_seconds, poll_seconds and timeout must be positive")
        if self.fetch_batch < 1:
            raise ValueError("fetch_batch must be at least 1")
        if self.max_message_bytes < 1024:
            raise ValueError("max_message_bytes must be at least 1024")
        if not (self.mailbox + self.processed_folder).isascii():
            raise ValueError("mailbox names must be ASCII")
        if self.processed == "move" and self.processed_folder == self.mailbox:
            raise ValueError("processed_folder must differ from mailbox")
