"""Whether a text is Spanish or English, by counting words that only one of them uses."""

from __future__ import annotations

import re

from mail.reading.normal import fold

# Frequent function words, chosen so that none is also common in the other language (nor, for
# the Spanish list, in French or Portuguese signatures more than in Spanish text).
_SPANISH = frozenset(
    "el los las del que y por con para una uno se su sus al es lo le sobre este esta estos "
    "nuestro nuestra hemos tiene tienen muy mas pero como ya sin segun desde hasta donde cuando "
    "ha han sera seran puede pueden solicitamos estimados estimada estimado saludos atentamente "
    "parrafo texto proyecto gracias tambien nos les usted ustedes".split()
)
_ENGLISH = frozenset(
    "the and of to is we our for with on this that be are by not have has will would could "
    "should from as at it its which was were can may please thank you your regards dear draft "
    "paragraph text any all objection".split()
)
_WORD = re.compile(r"[a-z]+")


def score(text: str) -> tuple[int, int]:
    """(Spanish hits, English hits) over the words of ``text``."""
    spanish = english = 0
    for word in _WORD.findall(fold(text)):
        if word in _SPANISH:
            spanish += 1
        elif word in _ENGLISH:
            english += 1
    return spanish, english


def detect(*texts: str, fallback: str = "es") -> str:
    """The language of the first text that tells clearly; ``fallback`` if none does."""
    for text in texts:
        spanish, english = score(text)
        if spanish + english >= 2 and spanish != english:
            return "es" if spanish > english else "en"
    return fallback


def from_header(value: str) -> str | None:
    """``es`` or ``en`` from a Content-Language / Accept-Language value, if it names one first."""
    match = re.match(r"\s*([a-zA-Z]{2})", value or "")
    if match and match.group(1).lower() in {"es", "en"}:
        return match.group(1).lower()
    return None
