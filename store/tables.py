"""SQLModel tables: the roster, consultations and their versions, answers, the audit trail,
inbound mail (raw bytes kept) and the outbox."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UtcDateTime


class CountryRow(SQLModel, table=True):
    __tablename__ = "country"
    code: str = Field(primary_key=True, max_length=2)
    name_es: str
    name_en: str
    status: str  # member | observer
    timezone: str
    calendar: str


class OrganisationRow(SQLModel, table=True):
    __tablename__ = "organisation"
    code: str = Field(primary_key=True, max_length=20)
    name_es: str
    name_en: str


class ContactRow(SQLModel, table=True):
    __tablename__ = "contact"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    language: str  # es | en
    timezone: str
    slack_user_id: str | None = Field(default=None, index=True)
    active: bool = True


class ContactEmailRow(SQLModel, table=True):
    __tablename__ = "contact_email"
    address: str = Field(primary_key=True)  # lower-cased
    contact_id: int = Field(foreign_key="contact.id", index=True)
    failing: bool = False  # set by a bounce or a permanent SMTP refusal at RCPT TO
    failure: str | None = None
    failed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # While failing: when one held notice is next tried on it (a probe); its success clears
    # the mark. None: at once (a bounce marked it, or it is not failing).
    probe_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ContactRoleRow(SQLModel, table=True):
    __tablename__ = "contact_role"
    __table_args__ = (UniqueConstraint("contact_id", "role", "party"),)
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    role: str
    party: str | None = Field(default=None, index=True)  # country or organisation code


class PresidencyRow(SQLModel, table=True):
    __tablename__ = "presidency"
    id: int = Field(default=1, primary_key=True)  # a single row: the presidency in office
    previous: str  # "" when the body names a bureau rather than a Troika
    current: str
    next: str
    # Another body's bureau of any size, reviewing drafts instead of the Troika.
    bureau: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

    @property
    def troika(self) -> list[str]:
        """The countries that review a draft before the members: the bureau, or the Troika."""
        return list(self.bureau) if self.bureau else [self.previous, self.current, self.next]


class SequenceRow(SQLModel, table=True):
    __tablename__ = "sequence"
    name: str = Field(primary_key=True)  # e.g. CRM-2026
    value: int = 0


class ConsultationRow(SQLModel, table=True):
    __tablename__ = "consultation"
    id: str = Field(primary_key=True)  # CRM-2026-007
    title_es: str
    title_en: str
    kind: str
    silence_rule: str
    state: str = Field(index=True)
    calendar: str  # holiday calendar of the clock (the PPT country's)
    timezone: str  # the PPT's timezone: deadlines end at midnight there
    ppt_country: str
    troika: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    troika_round: int = 0  # one round per submission to the Troika
    current_version: int = 1
    outcome: str | None = None
    created_at: datetime = Field(sa_type=UtcDateTime)
    created_by: str
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class VersionRow(SQLModel, table=True):
    __tablename__ = "version"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: str = Field(foreign_key="consultation.id", index=True)
    number: int
    # Either language may be missing; paragraph numbers are the same in both when both exist.
    paragraphs_es: list[str] | None = Field(default=None, sa_column=Column(JSON))
    paragraphs_en: list[str] | None = Field(default=None, sa_column=Column(JSON))
    changes_note: str = ""
    created_at: datetime = Field(sa_type=UtcDateTime)
    distributed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    deadline_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    days: int = 0  # business days of this version's period, extensions included


class TroikaReviewRow(SQLModel, table=True):
    __tablename__ = "troika_review"
    __table_args__ = (UniqueConstraint("consultation_id", "round", "country"),)
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: str = Field(foreign_key="consultation.id", index=True)
    round: int
    country: str
    status: str = "pending"
    comment: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class PositionRow(SQLModel, table=True):
    """Every answer ever recorded; a country's standing is its latest row for the version."""

    __tablename__ = "position"
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: str = Field(foreign_key="consultation.id", index=True)
    version: int
    country: str
    value: str | None  # None: the answer states no position (e.g. only asks for more time)
    extension_requested: bool = False
    recorded_at: datetime = Field(sa_type=UtcDateTime)
    recorded_by: str  # actor: a contact's address, a Slack user, or "cli:<user>"
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    inbound_id: int | None = Field(default=None, foreign_key="inbound_message.id")
    note: str | None = None


class AmendmentRow(SQLModel, table=True):
    __tablename__ = "amendment"
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: str = Field(foreign_key="consultation.id", index=True)
    version: int
    country: str
    position_id: int = Field(foreign_key="position.id", index=True)
    action: str
    paragraph: int
    proposed: str | None = None
    status: str = "proposed"


class EventRow(SQLModel, table=True):
    """The audit trail: append-only, one row per accepted move."""

    __tablename__ = "event"
    id: int | None = Field(default=None, primary_key=True)
    consultation_id: str | None = Field(default=None, index=True)
    at: datetime = Field(sa_type=UtcDateTime)
    actor: str
    kind: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    inbound_id: int | None = Field(default=None, foreign_key="inbound_message.id")


class InboundMessageRow(SQLModel, table=True):
    """Every email received, stored raw before anything reads it."""

    __tablename__ = "inbound_message"
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True)  # Message-ID, or sha256 of the bytes when it has none
    message_id: str | None = None
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The message's size on the server; over the size limit only the header is kept (`raw`)
    # and the whole message stays in the mailbox for whoever reviews it.
    size: int | None = None
    header_only: bool = False
    received_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(default="stored", index=True)  # stored|recorded|review|quarantine|dropped
    reason: str | None = None
    error: str | None = None
    attempts: int = 0
    consultation_id: str | None = Field(default=None, index=True)
    version: int | None = None
    country: str | None = None
    sender: str | None = None
    # What the reader made of it, kept for whoever reviews it (position, amendments, reasons).
    reading: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    processed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class InboundPageImageRow(SQLModel, table=True):
    """The first page of a scanned attachment as PNG, kept beside its message so every front
    shows a reviewer what the OCR read from (a table of its own: read only when shown)."""

    __tablename__ = "inbound_page_image"
    inbound_id: int = Field(foreign_key="inbound_message.id", primary_key=True)
    filename: str
    png: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MailboxStateRow(SQLModel, table=True):
    """Where the IMAP listener stopped: a UIDVALIDITY change means a full rescan."""

    __tablename__ = "mailbox_state"
    mailbox: str = Field(primary_key=True)
    uidvalidity: int | None = None
    last_uid: int = 0


class OutboxRow(SQLModel, table=True):
    """What must be said, queued in the same transaction as the move that caused it."""

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True)  # the same notice is never queued twice
    created_at: datetime = Field(sa_type=UtcDateTime)
    channel: str = Field(index=True)  # email | slack
    kind: str  # which message (a template name)
    consultation_id: str | None = Field(default=None, index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    address: str | None = None  # for someone outside the roster (a rejection notice)
    language: str = "es"
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", index=True)  # pending | sent | failed
    attempts: int = 0
    # While a sender has it in flight (claimed_at set), next_attempt_at is the end of its
    # lease: nobody else takes it before, and a sender that died is replaced after.
    next_attempt_at: datetime = Field(sa_type=UtcDateTime, index=True)
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_error: str | None = None
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ScheduledJobRow(SQLModel, table=True):
    """A thing the scheduler must do at a time: a deadline, a reminder, a day's digest.

    ``key`` names the thing (``deadline:CRM-2026-001:v2:<deadline>``), so planning it twice is a
    no-op; ``done_at`` set means it was done (or found obsolete) and never runs again.
    """

    __tablename__ = "scheduled_job"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str  # deadline | reminder | digest
    consultation_id: str | None = Field(default=None, index=True)
    version: int | None = None
    due_at: datetime = Field(sa_type=UtcDateTime, index=True)
    created_at: datetime = Field(sa_type=UtcDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    done_by: str | None = None  # the scheduler instance that did it
    outcome: str | None = None  # done | obsolete | skipped | gave_up
    attempts: int = 0
    last_error: str | None = None


class SlackStatusMessageRow(SQLModel, table=True):
    """Where a consultation's live status message is in Slack, so it is updated, not reposted."""

    __tablename__ = "slack_status_message"
    consultation_id: str = Field(foreign_key="consultation.id", primary_key=True)
    channel: str
    # Slack's id of the message within the channel; empty: claimed by a sender whose post did
    # not go through yet (the next attempt posts)
    ts: str
    posted_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    # A sender is posting or updating it until then: others wait, so one posts and updates
    # land in order. None: free.
    claimed_until: datetime | None = Field(default=None, sa_type=UtcDateTime)


class WebSignInRow(SQLModel, table=True):
    """Every request for a sign-in link to the web console, known address or not: the rate
    limits count them, and a link's nonce is spent once (``used_at``)."""

    __tablename__ = "web_sign_in"
    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(index=True)  # as typed, lower-cased
    client: str = Field(index=True)  # the requesting IP address
    requested_at: datetime = Field(sa_type=UtcDateTime, index=True)
    # Only when the address is a console user's: the link names this nonce.
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    nonce: str | None = Field(default=None, unique=True)
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class WebSessionRow(SQLModel, table=True):
    """A signed-in browser. The cookie carries a signed random id; only its SHA-256 is kept,
    so the table alone opens no session. Sign-out ends it here, whatever the cookie says."""

    __tablename__ = "web_session"
    id_hash: str = Field(primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    csrf: str  # the synchroniser token every form of this session carries
    created_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
