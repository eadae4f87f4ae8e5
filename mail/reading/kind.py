"""What sort of message this is: a reply, an automatic reply, a bounce, or something else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.message import Message
from email.utils import parsedate_to_datetime

from mail.reading.delivery_report import read_report
from mail.reading.mime import Parts, header, param, part_text
from mail.reading.normal import fold

_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")

_BOUNCE_FROM = re.compile(r"mailer-daemon|postmaster|mail delivery (subsystem|system)", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliverable|undelivered|delivery status notification|delivery (has )?failed|"
    r"failure notice|returned mail|mail delivery failed|delivery failure|non ?remis|"
    r"no se (puede|pudo) entregar|no entregad|unzustellbar|nondeliverable|"
    r"message not delivered|mensaje no entregado|error de entrega|entrega fallida|"
    # delay warnings, and other languages' "undeliverable"
    r"delayed mail|delivery (is |has been )?delayed|entrega retrasada|still undelivered|"
    r"could not send message for past|onbestelbaar|olevererbar|ikke leveret|kan ikke leveres|"
    r"non recapitabile|impossibile recapitare|nao (foi )?(possivel )?entreg|nie mozna dostarczyc|"
    r"nedorucitelne|nelze dorucit|недоставлен|не доставлено|teslim edilemedi|toimittamaton",
    re.I,
)
_BOUNCE_BODY = re.compile(
    r"could not be delivered|couldn't be delivered|was not delivered|delivery to the following|"
    r"permanent error|permanent fatal errors|user unknown|recipient address rejected|"
    r"mailbox unavailable|no such user|this is the qmail-send program|550[ -]5\.\d\.\d+|"
    r"no se pudo entregar|no pudo ser entregado|no ha podido ser entregado|"
    r"address not found|wasn't found at",
    re.I,
)
_AUTO_SUBJECT_START = re.compile(
    r"^\s*(automatic reply|auto ?reply|auto-reply|autoreply|auto response|auto-response|"
    r"autorespuesta|auto-respuesta|respuesta automatica|resposta automatica|reponse automatique|"
    r"risposta automatica|automatische antwort|out of (the )?office|fuera de (la )?oficina|"
    r"ausente|ausencia|absence|abwesenheit(snotiz)?|vacation|vacaciones|on leave|"
    r"de vacaciones|away from (the )?office)\b",
    re.I,
)
_AUTO_SUBJECT_ANY = re.compile(
    r"\b(respuesta automatica|automatic reply|auto-?reply|out of (the )?office|"
    r"fuera de (la )?oficina|autorespuesta|auto-?response|mensaje automatico)\b",
    re.I,
)
_TICKET_SUBJECT = re.compile(
    r"\[?(ticket|caso|case|solicitud|request|incidente|incident|radicado)\s*(#|no\.?|n\.?o)\s*\d+|"
    r"\[#\d+\]|hemos recibido su (solicitud|mensaje|correo)|your (request|message) has been "
    r"received|acuse de recibo automatico|we have received your",
    re.I,
)
_TICKET_HEADERS = (
    "X-OTRS-Queue",
    "RT-Ticket",
    "X-RT-Loop-Prevention",
    "X-Zendesk-From-Account-Id",
    "X-Freshdesk-Ticket-Id",
    "X-Jira-Fingerprint",
    "X-ServiceNow-Source",
    "X-Ticket-ID",
)
_AUTO_BODY = re.compile(
    r"fuera de (la )?oficina|out of (the )?office|de vacaciones|on (annual |parental |sick )?leave|"
    r"acceso limitado al correo|limited access to (my )?e-?mail|a mi regreso|upon my return|"
    r"when i return|i am away|i am currently away|me encuentro fuera|estare fuera|"
    r"me encuentro de vacaciones|estare ausente|i will be (out|away)|mensaje automatico|"
    r"respuesta automatica|this is an automated|automatic(ally generated)? (reply|message)|"
    r"no responda a este (mensaje|correo)|do not reply to this",
    re.I,
)
_CALENDAR_SUBJECT = re.compile(
    r"^\s*(invitacion|invitation|updated invitation|invitacion actualizada|evento cancelado|"
    r"canceled event|cancelled event|aceptado|accepted|rechazado|declined|tentative|provisional|"
    r"nuevo evento|new event|meeting request|solicitud de reunion|convocatoria)\s*:",
    re.I,
)
_REPLY_SUBJECT = re.compile(r"^\s*((re|res|aw|sv|vs|antw|r|fw|fwd|rv|tr|wg|enc)\s?:)", re.I)


@dataclass(frozen=True)
class KindReading:
    """The kind of message and what came with deciding it."""

    kind: str
    confidence: float
    reasons: tuple[str, ...] = ()
    until: str | None = None
    bounced: tuple[str, ...] = ()


def classify(
    parts: Parts, own_text: str, *, substantive: bool, quoted: bool = False
) -> KindReading:
    """Decide the kind.

    ``substantive``: the sender's words state a position, a change or a request; ``quoted``: the
    message quotes earlier mail (people do, automatic answers almost never do).
    """
    message = parts.message
    subject = fold(header(message, "Subject"))
    bounce = _bounce_score(parts, subject)
    if bounce >= 2:
        return KindReading(
            "bounce", 0.97 if bounce >= 3 else 0.85, bounced=bounced_addresses(parts)
        )
    auto = _auto_score(message, subject)
    if auto >= 2:
        reasons = ("auto_reply_with_position",) if substantive else ()
        return KindReading(
            "auto_reply",
            0.95 if not substantive else 0.6,
            reasons,
            until=return_date(own_text, message),
        )
    if _is_calendar(parts, subject) or _is_receipt_or_recall(parts, subject):
        return KindReading("other", 0.95)
    if _is_loop_alert(message, subject):
        return KindReading("other", 0.9)
    answering = _answers_something(message, subject)
    if _is_bulk(message) and not answering:
        return KindReading("other", 0.9)
    if _is_bulk(message) and answering and not substantive:
        return KindReading("auto_reply", 0.8, until=return_date(own_text, message))
    body_says_away = bool(_AUTO_BODY.search(fold(own_text))) and not quoted
    if (auto == 1 or body_says_away) and not substantive:
        if auto == 1 or len(own_text) < 800:
            return KindReading(
                "auto_reply", 0.75 if auto == 1 else 0.6, until=return_date(own_text, message)
            )
    if not answering and not substantive:
        return KindReading("other", 0.6, ("unlinked_message",))
    if not substantive and not _about_consultation(message, subject, own_text):
        return KindReading("other", 0.6, ("unrelated_thread",))
    return KindReading(
        "reply", 0.95 if answering else 0.7, () if answering else ("unlinked_message",)
    )


# -- bounces ----------------------------------------------------------------------------------


def _bounce_score(parts: Parts, subject: str) -> int:
    message = parts.message
    score = 0
    report = (
        message.get_content_type() == "multipart/report"
        and param(message, "report-type") == "delivery-status"
    )
    if report or "message/delivery-status" in parts.content_types:
        score += 3
    if message.get("X-MS-Exchange-Message-Is-Ndr") is not None or message.get(
        "X-Failed-Recipients"
    ):
        score += 3
    if _BOUNCE_FROM.search(header(message, "From")):
        score += 2
    if _BOUNCE_SUBJECT.search(subject):
        score += 1
    if _BOUNCE_BODY.search(fold(parts.plain or "")[:20_000]):
        score += 1
    if (message.get("Return-Path") or "").strip() == "<>":
        score += 1
    return score


def bounced_addresses(parts: Parts) -> tuple[str, ...]:
    """The recipients a report says failed or were delayed, by its fields (RFC 3464) first; the
    address we sent to when the original and final recipients differ. Informative only: which
    address is marked failing is decided by the VERP token (`mail.bounces`)."""
    ours = {a.lower() for a in _ADDRESS.findall(header(parts.message, "To"))}
    ours |= {a.lower() for a in _ADDRESS.findall(header(parts.message, "From"))}
    report = read_report(parts.message)
    named = [r.address for r in report.recipients if r.action in ("failed", "delayed")]
    return tuple(a for a in dict.fromkeys(named) if a not in ours)


# -- automatic replies ------------------------------------------------------------------------


def _auto_score(message: Message, subject: str) -> int:
    auto_submitted = fold(header(message, "Auto-Submitted"))
    if auto_submitted and auto_submitted != "no":
        return 3
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autorespons"):
        value = fold(header(message, name))
        if value and value not in {"no", "false", "0"}:
            return 3
    if fold(header(message, "Precedence")) == "auto_reply":
        return 3
    if _AUTO_SUBJECT_START.match(subject):
        return 2
    if any(message.get(name) is not None for name in _TICKET_HEADERS):
        return 2
    if _TICKET_SUBJECT.search(subject):
        return 2 if not _REPLY_SUBJECT.match(subject) else 1
    if _AUTO_SUBJECT_ANY.search(subject):
        return 1
    return 0


_MONTHS = {
    "enero": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "septiembre": 9,
    "setiembre": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    "ene": 1,
    "abr": 4,
    "ago": 8,
    "dic": 12,
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_UNTIL = r"(?:hasta|until|till|through|thru|al|a|back on|return(?:ing)? on|regreso el|de vuelta el)"
_DAY_FIRST = re.compile(
    rf"\b{_UNTIL}\s+(?:el\s+)?(?:[a-z]+,?\s+)?(\d{{1,2}})\.?\s+(?:de\s+)?({_MONTH})\.?"
    rf"(?:,?\s+(?:de\s+)?(\d{{4}}))?\b"
)
_MONTH_FIRST = re.compile(
    rf"\b{_UNTIL}\s+(?:[a-z]+,?\s+)?({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b"
)


def return_date(text: str, message: Message) -> str | None:
    """The date an out-of-office says the person is back (ISO), best effort."""
    folded = fold(text)
    day_first = _DAY_FIRST.search(folded)
    month_first = _MONTH_FIRST.search(folded)
    candidates = [m for m in (day_first, month_first) if m]
    if not candidates:
        return None
    match = min(candidates, key=lambda m: m.start())
    if match is day_first:
        day, month, year = match.group(1), match.group(2), match.group(3)
    else:
        month, day, year = match.group(1), match.group(2), match.group(3)
    sent = _sent_date(message)
    try:
        year_number = int(year) if year else (sent.year if sent else date.today().year)
        found = date(year_number, _MONTHS[month], int(day))
    except ValueError:
        return None
    if not year and sent and found < sent and (sent - found).days > 60:
        found = found.replace(year=found.year + 1)
    return found.isoformat()


def _sent_date(message: Message) -> date | None:
    try:
        return parsedate_to_datetime(header(message, "Date")).date()
    except (TypeError, ValueError, IndexError):
        return None


# -- everything else --------------------------------------------------------------------------


def _is_calendar(parts: Parts, subject: str) -> bool:
    if "text/calendar" in parts.content_types:
        return True
    if any(a.filename.lower().endswith(".ics") for a in parts.attachments):
        return True
    return bool(_CALENDAR_SUBJECT.match(subject))


# Read receipts (RFC 8098 message/disposition-notification: "Read:", "Leído:") and Outlook's
# recall requests quote our thread, but nobody wrote an answer in them.
_RECALL_SUBJECT = re.compile(r"^\s*(recall|recuperar|retirada|rappel|ruckruf|richiamo)\s*:", re.I)
_RECALL_BODY = re.compile(
    r"would like to recall the message|desea (recuperar|retirar) el mensaje|"
    r"souhaite rappeler le message|mochte die nachricht .{0,40}zuruckrufen|"
    r"gostaria de (recolher|recuperar) a mensagem"
)


def _is_receipt_or_recall(parts: Parts, subject: str) -> bool:
    message = parts.message
    receipt = (
        message.get_content_type() == "multipart/report"
        and param(message, "report-type") == "disposition-notification"
    )
    if receipt or "message/disposition-notification" in parts.content_types:
        return True
    recall = _RECALL_SUBJECT.match(subject)
    return bool(recall and _RECALL_BODY.search(fold(parts.plain or "")[:5000]))


# A mailing list's or a gateway's loop alert quotes our thread (References) but nobody wrote it.
_LOOP_SUBJECT = re.compile(
    r"\b(mail ?loop|loop (detected|alert|warning)|looping|bucle|boucle|schleife)\b", re.I
)
_LIST_ROBOT = re.compile(
    r"mailer-daemon|postmaster|-owner@|owner-|-bounces?@|-request@|-admin@|listserv|listmaster|"
    r"mailman|majordomo|sympa|ezmlm|lyris|googlegroups",
    re.I,
)


def _is_loop_alert(message: Message, subject: str) -> bool:
    if not _LOOP_SUBJECT.search(subject):
        return False
    robot = _LIST_ROBOT.search(header(message, "From") + " " + header(message, "Sender"))
    return bool(robot or message.get("X-Loop") or message.get("List-Id"))


def _is_bulk(message: Message) -> bool:
    precedence = fold(header(message, "Precedence"))
    listed = message.get("List-Id") is not None or message.get("List-Unsubscribe") is not None
    return precedence in {"bulk", "junk", "list"} or listed


def _answers_something(message: Message, subject: str) -> bool:
    return bool(
        message.get("In-Reply-To") or message.get("References") or _REPLY_SUBJECT.match(subject)
    )


# Our outbound Message-IDs look like <consulta.{id}.v{n}.{country}…@…> (DESIGN §6).
_OUR_MESSAGE_ID = re.compile(r"<consulta\.", re.I)
_CONSULTATION_WORDS = re.compile(
    r"\b(consulta|consultation|proyecto|draft|declaraci\w*|plan de trabajo|workplan|texto|text|"
    r"documento|document|parrafos?|paragraphs?|propuestas?|proposals?|posicion|position|plazo|"
    r"deadline|prorroga|extension|comentarios|comments|observaciones|enmiendas?|amendments?)\b"
)


def _about_consultation(message: Message, subject: str, own_text: str) -> bool:
    threads = header(message, "In-Reply-To") + " " + header(message, "References")
    if _OUR_MESSAGE_ID.search(threads):
        return True
    return bool(_CONSULTATION_WORDS.search(subject + " " + fold(own_text)))


def notice_text(parts: Parts) -> str:
    """The human-readable text of an automatic notice (first text part)."""
    if parts.plain:
        return parts.plain
    for part in parts.message.walk():
        if part.get_content_maintype() == "text":
            return part_text(part)
    return ""
