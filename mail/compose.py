"""Turn a queued notice (an outbox row) into the email a person reads, in their language.

One message per contact: the text part from the templates and the HTML part built from it
(mail.html_body: lists stay lists), the numbered text inline, the text as a .docx for tracked
changes, the deadline in the reader's zone, and for a revision a redline inline and as a .docx of
Word tracked changes, with the amendments it took up and those it did not. A receipt threads with
the reply it acknowledges. Message-IDs are derived from the outbox row, so a retry sends the very
same message.
"""

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from jinja2 import Environment
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import held, page_images
from consultation.deadlines import render_deadline
from consultation.links import ConsoleLinks
from consultation.note_facts import describe_note
from consultation.redline import paragraph_changes, redline_html, redline_text
from consultation.texts import Text
from consultation.vocabulary import CountryStatus, Language, Role, SilenceRule
from mail import failing, tokens
from mail.digest import digest_message
from mail.docx_render import render_docx, render_redline_docx
from mail.html_body import text_to_html
from mail.notice_facts import acknowledged_reply, settled_amendments, troika_requests
from mail.page_inline import add_page_image
from store import queries
from store.tables import ConsultationRow, ContactRow, CountryRow, OutboxRow, VersionRow

# Messages that carry the text itself (inline and as .docx).
WITH_TEXT = frozenset({"troika_draft", "draft", "revision", "reminder", "results", "results_info"})
# Messages to the PPT and the ST about the procedure: no country speaks in a reply to them.
FOR_STAFF = frozenset(
    {
        "troika_consensus",
        "troika_changes",
        "all_answered",
        "tally",
        "delivery_failure",
        "reply_flagged",
        "reminder_report",
        "objection_received",
        "colleague_held",  # to a colleague outside the roster: no Reply-To that invites an answer
    }
)
# Messages whose reader is asked to answer before a deadline.
WITH_DEADLINE = frozenset(
    {"draft", "revision", "extension", "reminder", "reminder_report", "late_answer"}
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Identity:
    """Who the service writes as, and how replies find their way back."""

    address: str  # From:, e.g. consultas@crm.example
    name: str
    reply_local: str  # local part of the plus-addressed Reply-To
    domain: str  # of Message-IDs and of the Reply-To
    secrets: tuple[bytes, ...]  # the first signs reply tokens; all verify (key rotation)
    console: ConsoleLinks | None = None  # the web console's pages, when it has an address


@dataclass(frozen=True)
class Composed:
    message: EmailMessage
    recipients: list[str]


async def compose(
    session: AsyncSession,
    row: OutboxRow,
    *,
    env: Environment,
    identity: Identity,
    now: datetime,
) -> Composed | None:
    """The email for ``row``, or None when its contact has no deliverable address left."""
    contact, recipients = await _recipients(session, row, now)
    if not recipients:
        return None
    language = Language(row.language)
    if row.consultation_id is None:
        message = _notice(env, row, contact, language, identity, now)
        message["To"] = ", ".join(recipients)
        return Composed(message, recipients)
    consultation = await queries.consultation(session, row.consultation_id)
    assert consultation is not None
    number = int(row.payload.get("version", consultation.current_version))
    version = await queries.version(session, consultation.id, number)
    assert version is not None
    country = None if row.kind in FOR_STAFF else await _country_of(session, contact, row)
    context = await _context(session, row, consultation, version, contact, country, language)
    inbound = row.payload.get("inbound_id")
    context["review_url"] = (
        identity.console.review(int(inbound)) if identity.console and inbound else ""
    )
    message = _message(env, row, context, language)
    message["From"] = formataddr((identity.name, identity.address))
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now)
    code = country.code if country else consultation.ppt_country
    message["Message-ID"] = tokens.message_id(
        consultation_id=consultation.id,
        version=number,
        country=code,
        domain=identity.domain,
        nonce=tokens.signed_nonce(
            consultation_id=consultation.id,
            version=number,
            country=code,
            row_id=row.id or 0,
            secret=identity.secrets[0],
        ),
    )
    if country is not None:
        token = tokens.make_token(
            consultation_id=consultation.id,
            version=number,
            country=country.code,
            secret=identity.secrets[0],
        )
        reply_to = tokens.reply_address(
            local=identity.reply_local, domain=identity.domain, token=token
        )
        message["Reply-To"] = reply_to
    if row.kind == "answer_recorded":
        await _thread_with_reply(session, message, row)
    if row.kind in WITH_TEXT:
        _attach_docx(message, consultation, version, language, context)
    if row.kind == "reply_flagged" and row.payload.get("inbound_id"):
        image = await page_images.page_image(session, int(row.payload["inbound_id"]))
        if image is not None:  # a scanned note: the reviewer sees the page beside its text
            add_page_image(message, image, language, domain=identity.domain)
    return Composed(message, recipients)


async def _thread_with_reply(session: AsyncSession, message: EmailMessage, row: OutboxRow) -> None:
    """A receipt answers the reply it acknowledges, so mail programs show them together
    (RFC 5322 §3.6.4)."""
    parent = await acknowledged_reply(session, row.payload.get("position_id"))
    if parent is not None:
        message["In-Reply-To"] = parent.message_id
        message["References"] = " ".join([*parent.references, parent.message_id])


async def _recipients(
    session: AsyncSession, row: OutboxRow, now: datetime
) -> tuple[ContactRow, list[str]]:
    """A roster contact's working addresses (and a failing one whose daily try is due), or the
    one address of someone outside the roster; those that already accepted this notice are
    left out of a retry."""
    if row.contact_id is None:
        outsider = ContactRow(name=row.address or "", language=row.language, timezone="UTC")
        found = [row.address] if row.address else []
    else:
        contact = await session.get(ContactRow, row.contact_id)
        assert contact is not None
        outsider = contact
        found = [
            e.address
            for e in await queries.emails_of(session, row.contact_id)
            if not e.failing or failing.probe_due(e, now)
        ]
    delivered = set(row.payload.get("delivered_to", []))
    return outsider, [a for a in found if a not in delivered]


def _notice(
    env: Environment,
    row: OutboxRow,
    contact: ContactRow,
    language: Language,
    identity: Identity,
    now: datetime,
) -> EmailMessage:
    """A notice about no particular consultation (a bounce alert, a rejection)."""
    context: dict[str, Any] = {
        **row.payload,
        "recipient": contact.name,
        "tag": "",
        "paragraphs": [],
        "deadline": None,
        "reply_help": False,
        "redline_text": "",
        "redline_html": "",
        "version": 0,
        "previous_version": 0,
        "reason_text": held.describe(str(row.payload.get("reason") or ""), language),
    }
    message = (
        digest_message(
            env, row.payload, language=language, timezone=contact.timezone, recipient=contact.name
        )
        if row.kind == "digest"
        else _message(env, row, context, language)
    )
    message["From"] = formataddr((identity.name, identity.address))
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<consulta.notice.o{row.id}@{identity.domain}>"
    if row.kind == "rejection":  # RFC 3834: an automatic answer, so nobody auto-answers it
        message["Auto-Submitted"] = "auto-replied"
    return message


async def _country_of(
    session: AsyncSession, contact: ContactRow, row: OutboxRow
) -> CountryRow | None:
    """The country the reader speaks for: the Troika seat, else the focal point's country."""
    if "country" in row.payload:
        return await session.get(CountryRow, str(row.payload["country"]))
    assert contact.id is not None
    for role in await queries.roles_of(session, contact.id):
        if role.role == Role.FOCAL_POINT.value and role.party:
            country = await session.get(CountryRow, role.party)
            if country is not None and country.status == CountryStatus.MEMBER.value:
                return country
    return None


async def _context(
    session: AsyncSession,
    row: OutboxRow,
    consultation: ConsultationRow,
    version: VersionRow,
    contact: ContactRow,
    country: CountryRow | None,
    language: Language,
) -> dict[str, Any]:
    spanish = language is Language.ES
    ppt = await session.get(CountryRow, consultation.ppt_country)
    payload = row.payload
    names = {
        c.code: (c.name_es if spanish else c.name_en) for c in await queries.countries(session)
    }
    text = Text(es=version.paragraphs_es, en=version.paragraphs_en).in_language(language)
    context: dict[str, Any] = {
        "recipient": contact.name,
        "id": consultation.id,
        "title": consultation.title_es if spanish else consultation.title_en,
        "tag": tokens.subject_tag(consultation.id, version.number),
        "version": version.number,
        "days": version.days,
        "urgent": consultation.kind == "urgent",
        "silence_consents": consultation.silence_rule == SilenceRule.NO_OBJECTION.value,
        "ppt_name": names.get(ppt.code, ppt.code) if ppt else consultation.ppt_country,
        "country_name": names.get(country.code, country.code) if country else "",
        "round": payload.get("round", consultation.troika_round),
        "note": version.changes_note,
        "extension_days": payload.get("days", 0),
        "position": payload.get("position"),
        "amendments": payload.get("amendments", []),
        "extension_requested": payload.get("extension_requested", False),
        "outcome": payload.get("outcome"),
        "blocking": _names(names, payload.get("blocking", [])),
        "silent": _names(names, payload.get("silent", [])),
        "standings_list": sorted(
            ((names.get(c, c), s) for c, s in payload.get("standings", {}).items()),
            key=lambda pair: _collation(pair[0]),
        ),
        "reason": payload.get("reason", ""),
        "reason_text": held.describe(str(payload.get("reason") or ""), language),
        "contact": payload.get("contact", ""),
        "address": payload.get("address", ""),
        "failed_kind": payload.get("failed_kind", ""),
        "sender": payload.get("sender", ""),
        "party_name": names.get(str(payload.get("country")), str(payload.get("country") or "")),
        "inbound_id": payload.get("inbound_id"),
        "own_words": payload.get("own_words", ""),  # the sender's, quoted to the PPT and the ST
        "words_withheld": payload.get("words_withheld", False),
        "answered_version": payload.get("answered_version", 0),
        "changes": [(names.get(c, c), comment) for c, comment in payload.get("changes", [])],
        "approve": payload.get("approve", False),
        "comment": payload.get("comment", ""),
        "countries": _names(names, payload.get("countries", [])),
        "extension_countries": _names(names, payload.get("extension_requested_by", [])),
        "suggested_days": payload.get("extension_days", 0),
        "show_positions": bool(payload.get("standings")),
        "open_amendments": payload.get("open_amendments", 0),
        "paragraphs": text if row.kind in WITH_TEXT else [],
        "deadline": None,
        "reply_help": row.kind in ("draft", "revision", "reminder"),
        "previous_version": version.number - 1,
        "redline_text": "",
        "redline_html": "",
        "redline_changes": [],
        "taken_up": [],
        "left_out": [],
    }
    if row.kind in WITH_DEADLINE and version.deadline_at is not None:
        context["deadline"] = render_deadline(
            version.deadline_at, timezone=contact.timezone, language=language
        )
    if row.kind == "revision":
        previous = await queries.version(session, consultation.id, version.number - 1)
        if previous is not None:
            old = Text(es=previous.paragraphs_es, en=previous.paragraphs_en).in_language(language)
            changes = paragraph_changes(old, text)
            context["redline_text"] = redline_text(changes, language=language.value)
            context["redline_html"] = redline_html(changes, language=language.value)
            context["redline_changes"] = changes
        context["taken_up"], context["left_out"] = await settled_amendments(
            session, consultation.id, version.number - 1, names
        )
    if row.kind == "troika_changes" and "changes" not in payload:
        asked = await troika_requests(session, consultation.id, int(context["round"]))
        context["changes"] = [(names.get(c, c), comment) for c, comment in asked]
    # The note verbale an answer came in, named in the receipt and the held-reply notice.
    context["note_verbale"] = describe_note(payload.get("note_verbale"), language)
    return context


def _names(names: dict[str, str], codes: list[str]) -> list[str]:
    return sorted((names.get(c, c) for c in codes), key=_collation)


def _collation(name: str) -> str:
    """Alphabetical as people read it: "Panamá" before "República Dominicana"."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def _message(
    env: Environment, row: OutboxRow, context: dict[str, Any], language: Language
) -> EmailMessage:
    module = env.get_template(f"email/{row.kind}.{language.value}.txt").make_module(context)
    # Each message template sets `subject` at top level; a module exposes it as an attribute.
    subject = " ".join(str(module.__dict__["subject"]).split())
    intro = str(module).strip()
    signature = (
        "CRM · Presidencia Pro-Tempore"
        if language is Language.ES
        else "RCM · Pro-Tempore Presidency"
    )
    common = {**context, "subject": subject, "intro": intro, "signature": signature}
    text = env.get_template(f"email/layout.{language.value}.txt").render(common)
    html = env.get_template(f"email/layout.{language.value}.html").render(
        common, intro_html=text_to_html(intro)
    )
    message = EmailMessage()
    message["Subject"] = subject
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    # After the content: set_content() clears every Content-* header already there.
    message["Content-Language"] = language.value
    return message


def _attach_docx(
    message: EmailMessage,
    consultation: ConsultationRow,
    version: VersionRow,
    language: Language,
    context: dict[str, Any],
) -> None:
    text = Text(es=version.paragraphs_es, en=version.paragraphs_en).in_language(language)
    spanish = language is Language.ES
    label = "versión" if spanish else "version"
    # The version's own date: when it went out, or (a draft before the Troika) when written.
    dated = version.distributed_at or version.created_at
    data = render_docx(
        title=str(context["title"]),
        paragraphs=text,
        heading_lines=[f"{consultation.id} · {label} {version.number}"],
        language=language.value,
        dated=dated,
    )
    name = f"{consultation.id}-v{version.number}-{language.value}"
    _add_docx(message, data, f"{name}.docx")
    if context["redline_changes"]:
        before, after = version.number - 1, version.number
        heading = (
            f"{consultation.id} · cambios de la versión {before} a la {after}"
            if spanish
            else f"{consultation.id} · changes from version {before} to {after}"
        )
        redline = render_redline_docx(
            title=str(context["title"]),
            changes=context["redline_changes"],
            heading_lines=[heading],
            language=language.value,
            dated=dated,
        )
        _add_docx(message, redline, f"{name}-{'cambios' if spanish else 'changes'}.docx")


def _add_docx(message: EmailMessage, data: bytes, filename: str) -> None:
    maintype, subtype = DOCX.split("/")
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
