"""Deadlines as a person reads them: in their timezone and language (arrow's locales)."""

import functools
from datetime import datetime

import arrow

from consultation.vocabulary import Language
from consultation.zones import zone_name

_FORMATS = {
    Language.ES: "dddd D [de] MMMM [de] YYYY, HH:mm",
    Language.EN: "dddd D MMMM YYYY, HH:mm",
}


# A fan-out writes the same deadline for every reader in a zone: formatted once.
@functools.lru_cache(maxsize=1024)
def render_deadline(deadline: datetime, *, timezone: str, language: Language) -> str:
    """E.g. ``martes 29 de diciembre de 2026, 23:59 (hora de Santo Domingo, UTC-04:00)``."""
    local = arrow.get(deadline).to(timezone)
    when = local.format(_FORMATS[language], locale=language.value)
    zone = zone_name(timezone, language)  # "hora de Ciudad de México", never "Mexico City"
    return f"{when} ({zone}, UTC{local.format('ZZ')})"


def render_relative(deadline: datetime, *, now: datetime, language: Language) -> str:
    """E.g. ``en 3 días`` / ``in 3 days`` / ``hace 2 horas``."""
    return arrow.get(deadline).humanize(arrow.get(now), locale=language.value)
