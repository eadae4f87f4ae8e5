"""Time zones named as a person says them, and instants written in a reader's zone and language.

``babel`` (CLDR's city names) is not a dependency, and arrow's locales name no zones, so the
Spanish names of the zones in the roster are kept here (CLDR's exemplar cities: "Ciudad de
México", "Panamá"). A zone not in the table falls back to its IANA city with spaces.
"""

from datetime import datetime

import arrow

from consultation.vocabulary import Language

_SPANISH_CITIES = {
    "America/Argentina/Buenos_Aires": "Buenos Aires",
    "America/Belize": "Belice",
    "America/Bogota": "Bogotá",
    "America/Costa_Rica": "Costa Rica",
    "America/El_Salvador": "El Salvador",
    "America/Guatemala": "Guatemala",
    "America/Guayaquil": "Guayaquil",
    "America/Jamaica": "Jamaica",
    "America/Lima": "Lima",
    "America/Managua": "Managua",
    "America/Mexico_City": "Ciudad de México",
    "America/New_York": "Nueva York",
    "America/Panama": "Panamá",
    "America/Santo_Domingo": "Santo Domingo",
    "America/Tegucigalpa": "Tegucigalpa",
    "America/Toronto": "Toronto",
    "UTC": "UTC",
}
_TIME_OF = {Language.ES: "hora de {place}", Language.EN: "{place} time"}
_FORMATS = {
    Language.ES: "dddd D [de] MMMM [de] YYYY, HH:mm",
    Language.EN: "dddd D MMMM YYYY, HH:mm",
}


def place(timezone: str, language: Language) -> str:
    """``America/Mexico_City`` → "Ciudad de México" (es) / "Mexico City" (en)."""
    if language is Language.ES and timezone in _SPANISH_CITIES:
        return _SPANISH_CITIES[timezone]
    return timezone.rsplit("/", 1)[-1].replace("_", " ")


def zone_name(timezone: str, language: Language) -> str:
    """ "hora de Ciudad de México" / "Mexico City time"; UTC is just "UTC"."""
    if timezone.upper() == "UTC":
        return "UTC"
    return _TIME_OF[language].format(place=place(timezone, language))


def moment(instant: datetime, timezone: str, language: Language) -> str:
    """ "lunes 7 de diciembre de 2026, 14:03 (hora de Ciudad de México)"."""
    local = arrow.get(instant).to(timezone)
    when = local.format(_FORMATS[language], locale=language.value)
    return f"{when} ({zone_name(timezone, language)})"


def short_moment(instant: datetime, timezone: str) -> str:
    """ "2026-12-07 14:03" in ``timezone``, for tables whose heading names the zone."""
    return arrow.get(instant).to(timezone).format("YYYY-MM-DD HH:mm")
