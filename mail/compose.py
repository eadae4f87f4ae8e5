"""Turn a queued notice (an outbox row) into the email a person reads, in their language.

One message per contact: the text part from the templates and the HTML part built from it
(mail.html_body: lists stay lists), the numbered text inline, the text as a .docx for tracked
changes, the deadline in the reader's zone, and for a revision a redline inline and as a .docx of
Word tracked changes, with the amendments it took up and those it did not. A receipt threads with
the reply it acknowledges. Message-IDs are derived from the outbox row, so a retry sends the very
same message.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.contentmanager import _encode_text  # type: ignore[attr-defined]
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from jinja2 import Environment
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import held, page_images
from consultation.deadlines import render_deadline
from consultation.links import ConsoleLinks
from consultation.texts import Text
from consultation.vocabulary import CountryStatus, Language, Role
from mail import failing, headers, tokens
from mail.digest import digest_message
from mail.docx_render import render_docx, render_redline_docx
from mail.fanout import LAYOUT_DEADLINE, PERSONAL, Fanout, Rendered, cacheable, key, marker
from mail.flatten import frozen
from mail.html_body import text_to_html
from mail.notice_context import FOR_STAFF, WITH_DEADLINE, WITH_TEXT, names_of, notice_context
from mail.notice_facts import acknowledged_reply
from mail.page_inline import add_page_image
from mail.prefetch import NOTHING, Prefetched
from store.tables import ConsultationRow, ContactRow, CountryRow, OutboxRow, VersionRow

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
    fanout: Fanout | None = None,
    prefetched: Prefetched = NOTHING,
) -> Composed | None:
    """The email for ``row``, or None when its contact has no deliverable address left.

    With ``fanout`` (one drain's), a notice that carries a version's text is rendered once
    per version and language and personalised for each reader (see `mail.fanout`); with
    ``prefetched`` (one claimed batch's), its lookups are read once for the batch."""
    contact, recipients = await _recipients(session, row, now, prefetched)
    if not recipients:
        return None
    language = Language(row.language)
    if row.consultation_id is None:
        message = _notice(env, row, contact, language, identity, now)
        message["To"] = ", ".join(recipients)
        return Composed(message, recipients)
    consultation = await prefetched.consultation(session, row.consultation_id)
    assert consultation is not None
    number = int(row.payload.get("version", consultation.current_version))
    version = await prefetched.version(session, consultation.id, number)
    assert version is not None
    country = (
        None if row.kind in FOR_STAFF else await _country_of(session, contact, row, prefetched)
    )
    shared = None
    if fanout is not None and row.kind in WITH_TEXT:
        names = await names_of(session, fanout, language)
        personal = _personal(row, version, contact, country, names, language)
        if cacheable(personal):
            shared = await _shared(
                session, fanout, row, consultation, version, contact, country, language, env
            )
    if shared is not None:
        message = _assemble(shared.subject, *shared.personalised(personal), language)
    else:
        context = await notice_context(
            session, row, consultation, version, contact, country, language, fanout or Fanout()
        )
        inbound = row.payload.get("inbound_id")
        context["review_url"] = (
            identity.console.review(int(inbound)) if identity.console and inbound else ""
        )
        message = _assemble(*_render(env, row, context, language), language)
    message["From"] = headers.shared("From", formataddr((identity.name, identity.address)))
    message["To"] = headers.plain("To", ", ".join(recipients))
    message["Date"] = headers.shared("Date", format_datetime(now))
    code = country.code if country else consultation.ppt_country
    message["Message-ID"] = headers.plain(
        "Message-ID",
        tokens.message_id(
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
        message["Reply-To"] = headers.plain("Reply-To", reply_to)
    if row.kind == "answer_recorded":
        await _thread_with_reply(session, message, row)
    if shared is not None:
        _attach(message, shared.attachments)
    elif row.kind in WITH_TEXT:
        _attach(message, _docx_parts(consultation, version, language, context))
    if row.kind == "reply_flagged" and row.payload.get("inbound_id"):
        image = await page_images.page_image(session, int(row.payload["inbound_id"]))
        if image is not None:  # a scanned note: the reviewer sees the page beside its text
            add_page_image(message, image, language, domain=identity.domain)
    return Composed(message, recipients)


async def _shared(
    session: AsyncSession,
    fanout: Fanout,
    row: OutboxRow,
    consultation: ConsultationRow,
    version: VersionRow,
    contact: ContactRow,
    country: CountryRow | None,
    language: Language,
    env: Environment,
) -> Rendered:
    """The notice's words and attachments for every reader of this version and language,
    rendered the first time with markers for the personal values."""
    found_key = key(
        row.kind, consultation, version, language, row.payload, has_country=country is not None
    )
    found = fanout.rendered.get(found_key)
    if found is None:
        context = await notice_context(
            session, row, consultation, version, contact, country, language, fanout
        )
        context |= {name: marker(name) for name in PERSONAL if context[name]}
        subject, text, page = _render(env, row, context, language, deadline=LAYOUT_DEADLINE)
        parts = tuple(_docx_parts(consultation, version, language, context))
        found = fanout.rendered[found_key] = Rendered(subject, text, page, parts)
    return found


def _personal(
    row: OutboxRow,
    version: VersionRow,
    contact: ContactRow,
    country: CountryRow | None,
    names: dict[str, str],
    language: Language,
) -> dict[str, str]:
    """What differs from one reader of a notice to the next (the token is in the headers)."""
    deadline = ""
    if row.kind in WITH_DEADLINE and version.deadline_at is not None:
        deadline = render_deadline(
            version.deadline_at, timezone=contact.timezone, language=language
        )
    return {
        "recipient": contact.name,
        "country_name": names.get(country.code, country.code) if country else "",
        "deadline": deadline,
    }


async def _thread_with_reply(session: AsyncSession, message: EmailMessage, row: OutboxRow) -> None:
    """A receipt answers the reply it acknowledges, so mail programs show them together
    (RFC 5322 §3.6.4)."""
    parent = await acknowledged_reply(session, row.payload.get("position_id"))
    if parent is not None:
        message["In-Reply-To"] = parent.message_id
        message["References"] = " ".join([*parent.references, parent.message_id])


async def _recipients(
    session: AsyncSession, row: OutboxRow, now: datetime, prefetched: Prefetched
) -> tuple[ContactRow, list[str]]:
    """A roster contact's working addresses (and a failing one whose daily try is due), or the
    one address of someone outside the roster; those that already accepted this notice are
    left out of a retry."""
    if row.contact_id is None:
        outsider = ContactRow(name=row.address or "", language=row.language, timezone="UTC")
        found = [row.address] if row.address else []
    else:
        contact = await prefetched.contact(session, row.contact_id)
        assert contact is not None
        outsider = contact
        found = [
            e.address
            for e in await prefetched.emails_of(session, row.contact_id)
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
    session: AsyncSession, contact: ContactRow, row: OutboxRow, prefetched: Prefetched
) -> CountryRow | None:
    """The country the reader speaks for: the Troika seat, else the focal point's country."""
    if "country" in row.payload:
        return await prefetched.country(session, str(row.payload["country"]))
    assert contact.id is not None
    for role in await prefetched.roles_of(session, contact.id):
        if role.role == Role.FOCAL_POINT.value and role.party:
            country = await prefetched.country(session, role.party)
            if country is not None and country.status == CountryStatus.MEMBER.value:
                return country
    return None


def _message(
    env: Environment, row: OutboxRow, context: dict[str, Any], language: Language
) -> EmailMessage:
    return _assemble(*_render(env, row, context, language), language)


def _render(
    env: Environment,
    row: OutboxRow,
    context: dict[str, Any],
    language: Language,
    *,
    deadline: str | None = None,
) -> tuple[str, str, str]:
    """Subject, plain text and HTML; ``deadline`` stands in the layout's HTML for the one in
    the context (a marker of its own: Jinja2 escapes it, not the intro's converter)."""
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
    if deadline is not None and context["deadline"]:
        common["deadline"] = deadline
    text = env.get_template(f"email/layout.{language.value}.txt").render(common)
    html = env.get_template(f"email/layout.{language.value}.html").render(
        common, intro_html=text_to_html(intro)
    )
    return subject, text, html


def _assemble(subject: str, text: str, html: str, language: Language) -> EmailMessage:
    """What ``set_content(text)`` then ``add_alternative(html)`` build, header for header,
    with the headers every reader shares parsed once (`mail.headers`): email's own calls
    parse each part's Content-Type three times, a third of a fan-out's work per reader. The
    boundary is set here, so the generator need not search the parts' text for one."""
    message = EmailMessage(policy=headers.POLICY)
    message["Subject"] = headers.shared("Subject", subject)
    message["MIME-Version"] = headers.shared("MIME-Version", "1.0")
    message["Content-Type"] = _multipart("alternative")
    message["Content-Language"] = headers.shared("Content-Language", language.value)
    message.set_payload([_text_part(text, "plain"), _text_part(html, "html", added=True)])
    return message


def _text_part(body: str, subtype: str, *, added: bool = False) -> EmailMessage:
    """A UTF-8 text part as `email.contentmanager.set_text_content` makes it (its encoding
    chosen by the same function); ``added``: made by ``add_alternative``, which also stamps
    MIME-Version on the part."""
    cte, payload = _encode_text(body, "utf-8", None, headers.POLICY)
    part = EmailMessage(policy=headers.POLICY)
    part["Content-Type"] = headers.shared("Content-Type", f'text/{subtype}; charset="utf-8"')
    part["Content-Transfer-Encoding"] = headers.shared("Content-Transfer-Encoding", cte)
    if added:
        part["MIME-Version"] = headers.shared("MIME-Version", "1.0")
    part.set_payload(payload)
    return part


def _docx_parts(
    consultation: ConsultationRow,
    version: VersionRow,
    language: Language,
    context: dict[str, Any],
) -> list[EmailMessage]:
    """The text as a .docx, and for a revision its tracked changes: MIME parts ready to
    attach (shared by every reader of a fan-out; nothing changes them once built)."""
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
    parts = [_docx_part(data, f"{name}.docx")]
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
        parts.append(_docx_part(redline, f"{name}-{'cambios' if spanish else 'changes'}.docx"))
    return parts


def _docx_part(data: bytes, filename: str) -> EmailMessage:
    """What ``EmailMessage.add_attachment`` would attach, built apart so it can be shared."""
    maintype, subtype = DOCX.split("/")
    part = EmailMessage()
    part.set_content(data, maintype=maintype, subtype=subtype, filename=filename)
    return frozen(part)


def _attach(message: EmailMessage, parts: Sequence[EmailMessage]) -> None:
    if parts and message.get_content_subtype() != "mixed":
        message.make_mixed()
        message.replace_header("Content-Type", _multipart("mixed"))
    for part in parts:
        message.attach(part)


def _multipart(subtype: str) -> str:
    return headers.plain("Content-Type", f'multipart/{subtype}; boundary="{headers.boundary()}"')
