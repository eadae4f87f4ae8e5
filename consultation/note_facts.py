"""The note verbale an answer came in, in words (es/en): its reference number, its date and
the form it was read from, as every front shows it beside the answer."""

from collections.abc import Mapping

from consultation.vocabulary import Language

_MONTHS = {
    Language.ES: "enero febrero marzo abril mayo junio julio agosto septiembre octubre "
    "noviembre diciembre".split(),
    Language.EN: "January February March April May June July August September October "
    "November December".split(),
}
_SOURCES = {
    "pdf": ("un PDF con texto", "a PDF with text"),
    "scan": (
        "un PDF escaneado, por reconocimiento óptico de caracteres",
        "a scanned PDF, by optical character recognition",
    ),
    "image": (
        "una imagen, por reconocimiento óptico de caracteres",
        "an image, by optical character recognition",
    ),
    "doc": ("un documento de Word 97-2003", "a Word 97-2003 document"),
    "odt": ("un documento OpenDocument", "an OpenDocument file"),
}


def describe_note(note: Mapping[str, object] | None, language: Language) -> str:
    """ "Nota verbal DGPE/0417/2026 del 9 de noviembre de 2026 (nota.pdf, leída de un PDF con
    texto)", or "" when the answer came in no note."""
    if not note:
        return ""
    es = language is Language.ES
    reference = str(note.get("reference") or "")
    date = _date(str(note.get("date") or ""), language)
    head = "Nota verbal" if es else "Note verbale"
    if reference:
        head += f" {reference}"
    else:
        head += " sin número legible" if es else " with no legible number"
    if date:
        head += f" del {date}" if es else f" of {date}"
    source = _SOURCES.get(str(note.get("source") or ""), ("un documento", "a document"))
    read = f"leída de {source[0]}" if es else f"read from {source[1]}"
    return f"{head} ({note.get('filename') or '?'}, {read})"


def _date(iso: str, language: Language) -> str:
    try:
        year, month, day = (int(part) for part in iso.split("-"))
    except ValueError:
        return ""
    if not 1 <= month <= 12:
        return ""
    name = _MONTHS[language][month - 1]
    return f"{day} de {name} de {year}" if language is Language.ES else f"{day} {name} {year}"
