"""The sender's own words: quoted text, attributions, signatures and disclaimers cut away.

Works on plain text (a text/plain part, or HTML rendered by :mod:`html_text`). Handles
top-posting (Outlook header blocks in several UI languages, "Original Message" separators,
mobile underscores), bottom-posting and interleaved answers (``>`` quoting with "On … wrote:" /
"El … escribió:" attributions), and a colleague's answer forwarded as the country's answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mail.reading.html_text import QUOTE_MARK
from mail.reading.normal import fold

# Outlook's header block in its interface languages: es/pt/fr/it "De"/"Da", de "Von", nl "Van",
# da/no "Fra", sv "Från", pl/cs "Od", ru "От", fi "Lähettäjä", tr "Kimden", ja, zh.
_FROM = (
    r"(?:from|de|von|da|van|fran|fra|od|expediteur|remitente|envoye par|от|lahettaja|kimden|"
    r"差出人|发件人|寄件者)"
)
_OTHER = (
    r"(?:sent|date|to|cc|bcc|subject|enviado el|enviado|enviada em|enviada|fecha|para|asunto|"
    r"assunto|gesendet|datum|an|betreff|envoye|a|objet|inviato|oggetto|data|cc ?:|kopie|"
    r"importance|importancia|prioridad|priority|attachments|datos adjuntos|anexos|enviados|"
    # nl, da/no, sv, ru
    r"verzonden|aan|onderwerp|sendt|til|emne|skickat|till|amne|kopia|отправлено|дата|кому|"
    r"тема|копия|"
    # pl, cs, fi, tr, ja, zh
    r"wyslano|do|temat|odeslano|komu|predmet|lahetetty|vastaanottaja|aihe|gonderildi|kime|"
    r"konu|送信日時|宛先|件名|发送时间|收件人|主题|日期|抄送)"
)
_HEADER_FROM = re.compile(rf"^\s*\*?{_FROM}\s?:\*?\s+\S", re.I)
_HEADER_OTHER = re.compile(rf"^\s*\*?{_OTHER}\s?:\*?(\s|$)", re.I)
_SEPARATOR = re.compile(
    r"^\s*[-=_]{2,}\s*(original message|mensaje original|message d'origine|ursprungliche "
    r"nachricht|mensagem original|messaggio originale|oorspronkelijk bericht|original)\s*[-=_]{2,}",
    re.I,
)
# Where a delivery report that is plain text (qmail, Exim, old sendmail) starts the copy of the
# message it returns: what follows is ours, not the notice's.
_RETURNED_COPY = re.compile(
    r"^\s*-{2,}\s*(below this line is a copy of the message|this is a copy of the message|"
    r"original message follows|returned message follows|the original message was received)",
    re.I,
)
_FORWARD = re.compile(
    r"^\s*(?:[-=_]{2,}\s*(forwarded message|mensaje reenviado|message transfere|weitergeleitete "
    r"nachricht|mensagem encaminhada|messaggio inoltrato|forwarded)\s*[-=_]{2,}|begin forwarded "
    r"message:|inicio del mensaje reenviado:|comienzo del mensaje reenviado:)",
    re.I,
)
_UNDERSCORES = re.compile(r"^\s*_{8,}\s*$")
_ATTRIBUTION_END = re.compile(
    r"(wrote|escribio|escreveu|a ecrit|schrieb|ha scritto|said|skrev|napisal|schreef|pisze|"
    r"napsal|napsala|kirjoitti|yazd[iı]|irta|написал|написала)\s?:\s*$",
    re.I,
)
# Lotus Notes: "Name/ORG wrote on 02/11/2026 10:15:00 AM:".
_WROTE_ON = re.compile(
    r"\b(wrote|escribio|a ecrit|schrieb|escreveu) (on|el|le|am|em)\b.{0,80}:\s*$"
)
_ATTRIBUTION_ALONE = re.compile(r"^\s*(citando a|quoting|zitat von|cita de)\b.*:\s*$", re.I)
_ATTRIBUTION_START = re.compile(r"^\s*(on|el|em|le|am|il|op|den|dne|w dniu)\s", re.I)
# An attribution carries when: a time, a year or a numeric date.
_WHEN = re.compile(r"\d{1,2}:\d{2}|\b(?:19|20)\d{2}\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b")
# Date-only attributions: "26.06.2014, 14:41, "X" <x@y>:", "2013/7/20 X <x@y>", or any line
# with a date that ends in "<address>:" (mail.ru's "… от X <x@y>:").
_DATED = re.compile(
    r"^\s*\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b[^\n]{0,300}?<?[\w.+-]+@[\w-]+(?:\.[\w-]+)+>?\s*:?\s*$"
)
_ENDS_WITH_ADDRESS = re.compile(r"<[^<>\s]+@[^<>\s]+>\)?\s*:\s*$")
_DIGIT = re.compile(r"\d")
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
_ATTRIBUTION_LINES = 3  # Gmail wraps a long sender's name and address over up to three lines
_FORWARD_SUBJECT = re.compile(r"^\s*(fw|fwd|rv|tr|wg|enc|reenv|i)\s?:", re.I)
_REPLY_SUBJECT = re.compile(r"^\s*(re|res|aw|sv|vs|antw|r)\s?:", re.I)

# A phone's or an app's signature line, in the languages its interface may run in. Only a short
# line of its own counts: "Sent from my desk, after reading the text, we approve" is a sentence.
_MOBILE = re.compile(
    r"^\s*(sent from|sent with|sent via|sent using|get outlook for|enviado desde|enviado con|"
    r"enviado via|enviado do|enviado a partir do|obtener outlook para|obtenha o outlook para|"
    r"descargar outlook|envoye de|envoye depuis|obtenir outlook pour|von meinem|"
    r"gesendet von|gesendet mit|outlook fur|inviato da|inviato dal|scarica outlook|"
    r"verzonden vanaf|verzonden met|sendt fra|skickat fran|отправлено с|отправлено из)\b",
    re.I,
)
_MOBILE_WORDS = 8  # "Inviato dal mio smartphone Samsung Galaxy": a device's name, not a sentence
_URL = re.compile(r"<[^<>\s]{0,300}>|https?://\S{0,300}")
_BANNER = re.compile(
    r"^\s*(unclassified|sensitive but unclassified|sbu|official use only|confidential|"
    r"for official use only|no clasificado|uso oficial)\s*$",
    re.I,
)
_CLOSING = re.compile(
    r"^\s*(atentamente|cordialmente|muy atentamente|saludos( cordiales| afectuosos)?|"
    r"un (cordial |afectuoso )?saludo|cordiales saludos|afectuosamente|respetuosamente|"
    r"quedo (atent[oa]|a (la|su) disposicion).*|quedamos (atent[oa]s|a (la|su) disposicion).*|"
    r"hago propicia la ocasion.*|aprovecho la ocasion.*|sin otro particular.*|"
    r"best( regards| wishes)?|kind(est)? regards|warm(est)? regards|regards|sincerely( yours)?|"
    r"yours sincerely|yours faithfully|respectfully|many thanks|thanks( again)?|thank you|"
    r"cheers|all the best|with (best|kind) regards|muchas gracias|gracias|"
    r"mit freundlichen gru?ssen|"
    r"cordialement|bien cordialement|abrazos?|un abrazo|thanks in advance|"
    r"agradec\w+ (de antemano |mucho |de nuevo )?(su|la|vuestra) (comprension|atencion|"
    r"consideracion|amable atencion|colaboracion|apoyo|gentileza)|"
    r"thank you (in advance )?for your (understanding|consideration|attention|cooperation|"
    r"support|kind attention))[\s,.!]*$",
    re.I,
)
_POSTSCRIPT = re.compile(r"^\s*(p\.?\s?s\.?|p\.?\s?d\.?|nota|note)\s*[:.-]", re.I)
_DISCLAIMER_WORDS = re.compile(
    r"confidencial|confidential|destinatario|intended recipient|aviso legal|disclaimer|"
    r"privileged|privilegiad|si usted no es|if you are not|prohibid|prohibited|"
    r"por error|in error|eliminelo|delete it|notifique|notify the sender|virus",
    re.I,
)


# No person writes a line this long (RFC 5322 §2.1.1 caps lines at 998 characters; a paragraph
# rendered from HTML is a few thousand): past it a line is cut, so that every rule after this
# one reads at most this much of it and a pathological line costs what a normal one does.
MAX_LINE = 20_000


@dataclass(frozen=True)
class Segment:
    """A run of the sender's own lines, and the quoted passage just above it (if any)."""

    text: str
    context: str | None


@dataclass(frozen=True)
class OwnText:
    """The sender's own words and how they were found."""

    text: str
    segments: tuple[Segment, ...]
    relayed: bool = False
    quote_found: bool = False


def extract_own(text: str, *, subject: str = "", our_addresses: tuple[str, ...] = ()) -> OwnText:
    """Cut quoted material, attributions, signatures and disclaimers from a message body."""
    lines = [line[:MAX_LINE] for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    cut, forward = _find_cut(lines)
    head, tail = lines[:cut], lines[cut:]
    segments = _segments(head)
    own = _clean("\n\n".join(s.text for s in segments))
    relayed = False
    if tail and _is_relay(own, subject, forward):
        relayed_text = _relayed_block(tail, our_addresses)
        if relayed_text:
            own = _clean(own + "\n\n" + relayed_text) if own else relayed_text
            segments = (*segments, Segment(relayed_text, None))
            relayed = True
    if segments and not relayed:
        last = segments[-1]
        segments = (*segments[:-1], Segment(_clean(last.text), last.context))
    segments = tuple(s for s in segments if s.text.strip())
    quote_found = bool(tail) or any(line.lstrip().startswith(">") for line in lines)
    return OwnText(own, segments, relayed=relayed, quote_found=quote_found)


# -- finding where the quote starts ---------------------------------------------------------


def _find_cut(lines: list[str]) -> tuple[int, bool]:
    """Index of the first line of a top-level quote (len(lines) if none); and whether a forward."""
    other: dict[int, bool] = {}  # header-like lines, each matched once however often looked at
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            continue
        folded = fold(line)
        if line.strip() == QUOTE_MARK:
            return index, False
        if _FORWARD.match(folded):
            return index, True
        if _SEPARATOR.match(folded) or _RETURNED_COPY.match(folded):
            return index, False
        if _UNDERSCORES.match(line) and _header_block_at(
            lines, _next_nonblank(lines, index + 1), other
        ):
            return index, False
        if _header_block_at(lines, index, other):
            return index, False
        span = _attribution_span(lines, index)
        if span and not _quoted_after(lines, index + span) and _surely(lines[index : index + span]):
            return index, False  # "On … wrote:" with the original below it, unprefixed
    return len(lines), False


def _next_nonblank(lines: list[str], start: int) -> int:
    index = start
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _header_block_at(lines: list[str], index: int, other: dict[int, bool]) -> bool:
    """A From:-like line followed closely by two more header lines (Sent/To/Subject…)."""
    if index >= len(lines) or not _HEADER_FROM.match(fold(lines[index])):
        return False
    found, seen = 0, 0
    for at in range(index + 1, min(index + 12, len(lines))):
        if not lines[at].strip():
            continue
        seen += 1
        if at not in other:
            other[at] = bool(_HEADER_OTHER.match(fold(lines[at])))
        if other[at]:
            found += 1
        if found >= 2:
            return True
        if seen >= 7:
            break
    return False


# -- own lines, attributions and interleaving ------------------------------------------------


def _attribution_lines(lines: list[str]) -> set[int]:
    """Lines of attributions (one to three lines) that introduce a ``>`` quote."""
    found: set[int] = set()
    for index, line in enumerate(lines):
        if index in found or line.lstrip().startswith(">"):
            continue
        span = _attribution_span(lines, index)
        if span and _quoted_after(lines, index + span):
            found.update(range(index, index + span))
    return found


def _attribution_span(lines: list[str], index: int) -> int:
    """How many lines the attribution starting at ``index`` spans (0: none starts there)."""
    first = fold(lines[index])
    if len(first) > 400 or not _DIGIT.search(first):  # every layout dates its first line
        return 0
    joined = first
    for span in range(1, _ATTRIBUTION_LINES + 1):
        if span > 1:
            if index + span > len(lines) or not lines[index + span - 1].strip():
                return 0
            joined += " " + fold(lines[index + span - 1])
            if len(joined) > 400 or lines[index + span - 1].lstrip().startswith(">"):
                return 0
        if not _WHEN.search(joined):
            continue
        # "… wrote:" with a date in it is an attribution, whatever words it begins with
        said = _ATTRIBUTION_END.search(joined) or _WROTE_ON.search(joined)
        if said or _DATED.match(joined) or _ENDS_WITH_ADDRESS.search(joined):
            return span
    return 0


def _surely(attribution: list[str]) -> bool:
    """An attribution sure enough to cut everything under it even with no ``>`` to say so: it
    names an address, or is dated to the minute the way clients write it ("On … 10:15, X
    wrote:"), or begins with a date. A person's "On 2 November the Council wrote:" followed by
    their own words is not cut."""
    joined = fold(" ".join(attribution))
    timed = _ATTRIBUTION_START.match(joined) and _TIME.search(joined)
    return "@" in joined or bool(timed or _WROTE_ON.search(joined) or _DATED.match(joined))


def _quoted_after(lines: list[str], index: int) -> bool:
    """Whether the next non-blank line (from ``index``) is ``>``-quoted, or there is none."""
    following = _next_nonblank(lines, index)
    return following >= len(lines) or lines[following].lstrip().startswith(">")


def _segments(lines: list[str]) -> tuple[Segment, ...]:
    attributions = _attribution_lines(lines)
    segments: list[Segment] = []
    own: list[str] = []
    quoted: list[str] = []
    context: str | None = None
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            if own and any(x.strip() for x in own):
                segments.append(Segment("\n".join(own).strip("\n"), context))
                own = []
            if not quoted or quoted[-1] != "":
                pass
            stripped = re.sub(r"^(\s*>)+ ?", "", line)
            quoted.append(stripped)
            continue
        if quoted:
            context = _last_quoted_paragraph(quoted)
            quoted = []
        if index in attributions or _is_attribution(lines, index):
            continue
        own.append(line)
    if own and any(x.strip() for x in own):
        segments.append(Segment("\n".join(own).strip("\n"), context))
    return tuple(segments)


def _last_quoted_paragraph(quoted: list[str]) -> str | None:
    blocks = [b for b in "\n".join(quoted).split("\n\n") if b.strip()]
    return " ".join(blocks[-1].split()) if blocks else None


def _is_attribution(lines: list[str], index: int) -> bool:
    """An "On … wrote:" line (possibly wrapped over two lines) just before a ``>`` quote."""
    line = fold(lines[index])
    if not line.strip():
        return False
    following = _next_nonblank(lines, index + 1)
    before_quote = following >= len(lines) or lines[following].lstrip().startswith(">")
    if _ATTRIBUTION_ALONE.match(line) and before_quote:
        return True
    if _ATTRIBUTION_END.search(line) and before_quote and len(line) < 300:
        return True
    # First half of a wrapped attribution: "On Wed, … <" / "… > wrote:".
    if index + 1 < len(lines) and _ATTRIBUTION_START.match(line):
        nxt = fold(lines[index + 1])
        after = _next_nonblank(lines, index + 2)
        quoted_next = after >= len(lines) or lines[after].lstrip().startswith(">")
        return bool(_ATTRIBUTION_END.search(nxt)) and quoted_next and len(line + nxt) < 300
    return False


# -- forwarded answers ------------------------------------------------------------------------

_RELAY_CUES = re.compile(
    r"\b(remit[oe]|remitimos|transmit[oe]|transmitimos|reenvi[oa]|reenviamos|comparto|"
    r"compartimos|a continuacion|abajo|debajo|below|forwarding|forward(ed)?|relay(ing)?|"
    r"herewith|la respuesta de|la posicion de|position of|answer (from|of)|comments (from|of)|"
    r"observaciones de|comentarios de|see (the )?(message|e-?mail|note))\b",
    re.I,
)


def _is_relay(own: str, subject: str, forward_marker: bool) -> bool:
    if _REPLY_SUBJECT.match(subject) and not forward_marker:
        return False
    if not (forward_marker or _FORWARD_SUBJECT.match(subject)):
        return False
    short = len(own) < 300
    return short or bool(_RELAY_CUES.search(fold(own)))


def _relayed_block(tail: list[str], our_addresses: tuple[str, ...]) -> str:
    """The body of the first forwarded message, unless it is our own consultation."""
    start = 1 if tail and (tail[0].strip() == QUOTE_MARK or _FORWARD.match(fold(tail[0]))) else 0
    start = _next_nonblank(tail, start)
    if start < len(tail) and _UNDERSCORES.match(tail[start]):
        start = _next_nonblank(tail, start + 1)
    header_end = start
    author = ""
    while header_end < len(tail) and tail[header_end].strip():
        folded = fold(tail[header_end])
        if _HEADER_FROM.match(folded):
            author = folded
        elif not _HEADER_OTHER.match(folded) and not tail[header_end].startswith((" ", "\t", "<")):
            break
        header_end += 1
    if any(_same_mailbox(author, address) for address in our_addresses):
        return ""
    body = tail[header_end:]
    cut, _ = _find_cut(body)
    inner = _segments(body[:cut])
    return _clean("\n\n".join(s.text for s in inner))


def _same_mailbox(text: str, address: str) -> bool:
    local, _, domain = address.lower().partition("@")
    base = local.split("+", 1)[0]
    if not base or not domain:
        return False
    return bool(re.search(rf"\b{re.escape(base)}(\+[^@\s]*)?@{re.escape(domain)}", text))


# -- signatures and disclaimers --------------------------------------------------------------


def _clean(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    lines = [line for line in lines if not _is_mobile(line) and not _BANNER.match(line)]
    for index, line in enumerate(lines):
        if line.strip() in {"--", "-- ", "__"}:
            lines = lines[:index]
            break
    lines = _cut_closing(lines)
    blocks = [b for b in "\n".join(lines).split("\n\n")]
    kept = [b for b in blocks if not _is_disclaimer(b)]
    return re.sub(r"\n{3,}", "\n\n", "\n\n".join(b.strip("\n") for b in kept if b.strip())).strip()


def _is_mobile(line: str) -> bool:
    """A device's signature line alone ("Enviado desde mi iPhone"), not a sentence that begins
    the same way ("Sent from my desk, after reading…": a comma, a colon, or too many words)."""
    if len(line) > 200:  # a signature line is short; a long one is never read twice
        return False
    folded = fold(_URL.sub(" ", line))
    if not _MOBILE.match(folded):
        return False
    return not re.search(r"[,:;]\s*\S", folded) and len(folded.split()) <= _MOBILE_WORDS


def _cut_closing(lines: list[str]) -> list[str]:
    """Drop everything after a closing formula when what follows looks like a signature."""
    seen_content = False
    for index, line in enumerate(lines):
        folded = fold(line)
        if _CLOSING.match(folded) and seen_content and _signature_like(lines[index + 1 :]):
            tail = "\n".join(lines[index + 1 :]).split("\n\n")
            postscripts = [b for b in tail if _POSTSCRIPT.match(fold(b))]
            return lines[: index + 1] + ([""] + postscripts if postscripts else [])
        if len(line.strip()) > 15:
            seen_content = True
    return lines


def _signature_like(rest: list[str]) -> bool:
    """Short lines (name, title, office, phone) and disclaimers; not a paragraph of prose."""
    for block in "\n".join(rest).split("\n\n"):
        if _is_disclaimer(block) or _POSTSCRIPT.match(fold(block)):
            continue
        for line in block.split("\n"):
            if len(line) > 100 and line.rstrip()[-1:] in {".", ":", ";", "?", "!"}:
                return False
    return True


def _is_disclaimer(block: str) -> bool:
    hits = {m.group(0).lower() for m in _DISCLAIMER_WORDS.finditer(fold(block))}
    return len(block) > 100 and len(hits) >= 2
