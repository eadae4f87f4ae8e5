"""Why a message is held for a person, in words: one sentence per reason, Spanish and English.

Every front that shows a held message (the PPT's email, the rejection notice, Slack's review
item, the digest, later the held-replies console of issue #14) asks ``describe`` for its words,
so a reason is never shown as a code. The codes are stored on the inbound row (``reason``,
comma-separated when the reader found several).
"""

from enum import StrEnum

from consultation.vocabulary import Language


class HoldReason(StrEnum):
    """Why the service would not count a message by itself (trust reasons first)."""

    NO_FROM = "no_from"
    AMBIGUOUS_FROM = "ambiguous_from"
    SENDER_DIFFERS = "sender_differs"
    NOT_LINKED = "not_linked"
    UNMATCHED = "unmatched"
    TOKEN_FORGED = "token_forged"
    TOKEN_MALFORMED = "token_malformed"
    UNAUTHENTICATED = "unauthenticated"
    DMARC_FAIL = "dmarc_fail"
    UNREGISTERED_SENDER = "unregistered_sender"
    UNVERIFIED_SENDER = "unverified_sender"
    TOO_LARGE = "too_large"


# Clauses, lower-case, no final stop: shown after "Motivo:" / "Reason:" or after a colon.
_SENTENCES: dict[str, tuple[str, str]] = {
    "no_from": (
        "el mensaje no indica quién lo envía",
        "the message does not say who sent it",
    ),
    "ambiguous_from": (
        "el remitente no es una única dirección clara (varias direcciones o un formato engañoso)",
        "the sender is not one clear address (several addresses or a misleading form)",
    ),
    "sender_differs": (
        "lo envió una dirección distinta de la que figura como remitente",
        "it was sent by an address other than the one shown as its sender",
    ),
    "not_linked": (
        "no responde a un correo de la consulta: le falta la dirección de respuesta firmada "
        "o la referencia verificada a nuestro mensaje (la etiqueta de la consulta en el asunto "
        "no basta: cualquiera puede escribirla)",
        "it does not answer a consultation email: it lacks the signed reply address or a "
        "verified reference to our message (the consultation's tag in the subject is not "
        "enough: anyone can type it)",
    ),
    "unmatched": (
        "no se pudo determinar a qué consulta responde",
        "we could not tell which consultation it answers",
    ),
    "token_forged": ("la dirección de respuesta no es válida", "the reply address is not valid"),
    "token_malformed": (
        "la dirección de respuesta está incompleta",
        "the reply address is incomplete",
    ),
    "unauthenticated": (
        "no se pudo comprobar que venga del dominio de su remitente",
        "it could not be verified as coming from its sender's domain",
    ),
    "dmarc_fail": (
        "nuestro servidor de correo comprobó que no viene del dominio de su remitente",
        "our mail server found that it does not come from its sender's domain",
    ),
    "unregistered_sender": (
        "su remitente no figura en el directorio de puntos focales",
        "its sender is not in the directory of focal points",
    ),
    "unverified_sender": (
        "su dirección no figura como punto focal del país por el que responde",
        "the address is not registered as a focal point of the country it answers for",
    ),
    "too_large": (
        "ocupa más que el límite del servicio; solo se descargó el encabezado",
        "it is over the service's size limit; only its header was downloaded",
    ),
    "superseded_version": ("responde a una versión anterior", "it answers an earlier version"),
    "no_position": ("no se pudo leer una posición", "no position could be read"),
    "refused": (
        "el procedimiento no permitió registrarla",
        "the procedure did not allow recording it",
    ),
    "not_open": (
        "la consulta ya no admite respuestas",
        "the consultation no longer takes answers",
    ),
    "troika_already_answered": (
        "ese país de la Troika ya había respondido",
        "that Troika country had already answered",
    ),
    "mixed_signals": ("contiene señales contradictorias", "it gives mixed signals"),
    "unknown_sender": ("su remitente no está registrado", "its sender is not in the roster"),
    "no_position_found": ("no se encontró una posición", "no position was found"),
    "question": ("hace una pregunta", "it asks a question"),
    "reservation": ("expresa una reserva", "it states a reservation"),
    "relayed_answer": ("es una respuesta reenviada", "it is a relayed answer"),
    "empty_body": ("el mensaje está vacío", "the message is empty"),
    "unlinked_message": ("no está asociado a una consulta", "it is not tied to a consultation"),
    "amendments_not_found": (
        "no se encontraron las enmiendas",
        "the amendments were not found",
    ),
    "amendments_not_applied": (
        "las enmiendas no se pueden aplicar al texto",
        "the amendments do not apply to the text",
    ),
    "ambiguous_phrase": ("usa una frase ambigua", "its wording is ambiguous"),
    "low_confidence": ("la lectura automática no es segura", "the automatic reading is unsure"),
    "ambiguous_paragraph": ("no está claro a qué párrafo se refiere", "the paragraph is unclear"),
    "amendment_not_applicable": (
        "una enmienda no se puede aplicar al texto",
        "an amendment does not apply to the text",
    ),
    "amendment_paragraph_unknown": (
        "una enmienda cita un párrafo que no existe",
        "an amendment names a paragraph that does not exist",
    ),
    "amendment_text_missing": (
        "una enmienda no trae el texto propuesto",
        "an amendment lacks its proposed text",
    ),
    "attachment_not_read": ("un adjunto no se leyó", "an attachment was not read"),
    "attachment_unmatched": (
        "un adjunto no coincide con el texto de la consulta",
        "an attachment does not match the consultation's text",
    ),
    "attachment_unreadable": ("un adjunto no se puede leer", "an attachment cannot be read"),
    "auto_reply_with_position": (
        "lleva encabezados de respuesta automática pero expresa una posición",
        "it carries automatic-reply headers but states a position",
    ),
    "conflicting_amendments": (
        "propone enmiendas contradictorias",
        "it proposes conflicting amendments",
    ),
    "instruction_not_understood": (
        "una instrucción de cambio no se entendió",
        "a change instruction was not understood",
    ),
    "message_too_deep": ("el mensaje está anidado en exceso", "the message is nested too deeply"),
    "position_from_subject": (
        "la posición solo figura en el asunto",
        "the position appears only in the subject",
    ),
    "unrelated_thread": (
        "parece pertenecer a otra conversación",
        "it seems to belong to another conversation",
    ),
    "processing_failed": (
        "el servicio no pudo procesarlo tras tres intentos",
        "the service could not process it after three tries",
    ),
    "reused_message_id": (
        "reutiliza el identificador de otro mensaje ya recibido, con otro contenido",
        "it reuses the Message-ID of another message already received, with different content",
    ),
    "too_complex": (
        "su estructura es demasiado compleja para leerla",
        "its structure is too complex to read",
    ),
    "read_timeout": ("no se pudo leer a tiempo", "it could not be read in time"),
    "read_memory": (
        "leerlo requería más memoria de la permitida",
        "reading it needed more memory than allowed",
    ),
    "read_failed": ("el lector falló al leerlo", "the reader failed while reading it"),
    "bounced": ("rebotó", "it bounced"),
    # Attached documents and notes verbales (``mail.reading.attached``, ``note_answer``).
    "attachment_encrypted": (
        "un documento adjunto está protegido con contraseña y no se puede abrir",
        "an attached document is password-protected and cannot be opened",
    ),
    "attachment_damaged": (
        "un documento adjunto está dañado y no se puede leer",
        "an attached document is damaged and cannot be read",
    ),
    "attachment_too_many_pages": (
        "un documento adjunto tiene más páginas de las que el servicio lee (40)",
        "an attached document has more pages than the service reads (40)",
    ),
    "attachment_too_large": (
        "un documento adjunto, al descomprimirlo, excede el tamaño que el servicio acepta",
        "an attached document, once decompressed, exceeds the size the service accepts",
    ),
    "attachment_empty": (
        "un documento adjunto no contiene texto",
        "an attached document contains no text",
    ),
    "ocr_position": (
        "la posición se leyó de un documento escaneado mediante reconocimiento óptico de "
        "caracteres y el texto del correo no la confirma; compare el texto leído con la imagen "
        "de la página",
        "the position was read from a scanned document by optical character recognition and "
        "the email's own words do not say the same; compare the text read with the page image",
    ),
    "ocr_no_text": (
        "no se pudo leer texto en el documento escaneado",
        "no text could be read in the scanned document",
    ),
    "ocr_timeout": (
        "la lectura del documento escaneado no terminó a tiempo",
        "reading the scanned document did not finish in time",
    ),
    "ocr_failed": (
        "falló la lectura del documento escaneado",
        "reading the scanned document failed",
    ),
    "ocr_unavailable": (
        "el servicio no tiene instalado el lector de documentos escaneados",
        "the service has no reader for scanned documents installed",
    ),
    "takes_note": (
        "la nota solo toma nota del texto, lo que no equivale a aprobarlo",
        "the note only takes note of the text, which is not an approval",
    ),
    "receipt_only": (
        "la nota solo acusa recibo, sin expresar una posición",
        "the note only acknowledges receipt, without stating a position",
    ),
    "note_other_consultation": (
        "la nota adjunta se refiere a otra consulta",
        "the attached note refers to another consultation",
    ),
    "note_contradicts_body": (
        "el texto del correo contradice la nota adjunta",
        "the email's own words contradict the attached note",
    ),
}
_UNKNOWN = ("necesita la revisión de una persona", "it needs a person's review")


def codes() -> frozenset[str]:
    """Every reason code that has words (for tests that no code reaches a reader)."""
    return frozenset(_SENTENCES)


def describe(codes: str | None, language: Language | str) -> str:
    """The reasons (``"question,mixed_signals"``) as one clause in ``language``."""
    index = 0 if Language(language) is Language.ES else 1
    words: list[str] = []
    for code in (codes or "").split(","):
        key = code.strip().split(":", 1)[0].strip()  # "not_open:tallied", "refused: …"
        if key:
            sentence = _SENTENCES.get(key, _UNKNOWN)[index]
            if sentence not in words:
                words.append(sentence)
    return "; ".join(words) or _UNKNOWN[index]
