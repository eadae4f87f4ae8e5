"""Paragraph references in Spanish and English: "párrafo 3", "para. 2", "el tercer párrafo"."""

from __future__ import annotations

import re

_ORDINALS = {
    "primer": 1,
    "primero": 1,
    "primera": 1,
    "segundo": 2,
    "segunda": 2,
    "tercer": 3,
    "tercero": 3,
    "tercera": 3,
    "cuarto": 4,
    "cuarta": 4,
    "quinto": 5,
    "quinta": 5,
    "sexto": 6,
    "sexta": 6,
    "septimo": 7,
    "setimo": 7,
    "septima": 7,
    "octavo": 8,
    "octava": 8,
    "noveno": 9,
    "novena": 9,
    "decimo": 10,
    "decima": 10,
    "undecimo": 11,
    "duodecimo": 12,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_LAST = {"ultimo": 0, "ultima": 0, "last": 0, "final": 0, "penultimo": -1, "penultimate": -1}
_WORDS = "|".join(sorted([*_ORDINALS, *_LAST], key=len, reverse=True))
# Bare "para" is the Spanish preposition ("para 10 días"): only "para." counts in Spanish text.
_PARA_ES = (
    r"(?:(?:parrafos?|paragraphs?)(?: (?:operativos?|preambulares?|dispositivos?|operative|"
    r"preambular))?|parr\.|parr|par\.|paras?\.|pp\.|op\.|op(?=\s?\d)|pp(?=\s?\d)|numeral|"
    r"punto|apartado|\u00b6|\u00a7)"
)
_PARA = _PARA_ES[:-1] + r"|paras?)"
_NUM = r"(\d{1,3})(?:o|\u00b0|er|ro|st|nd|rd|th)?(?:\s*(bis|ter)\b)?"
_SEP = r"(?:\s*,\s*|\s+(?:y|e|and|&)\s+|\s*-\s*)"


def _pattern(para: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?:\b{para}\s*(?:n[o\u00b0]\.?\s*)?(?P<nums>{_NUM}(?:{_SEP}\d{{1,3}})*)\b"
        rf"|\b{para}\s+(?P<word_after>{_WORDS})\b"
        rf"|\b(?:el\s+|la\s+|the\s+)?(?P<word_before>{_WORDS})\s+{para}"
        rf"|\b(?P<num_before>\d{{1,3}})\s*(?:o|\u00b0|er|ro|st|nd|rd|th)\s+{para})",
    )


_PATTERNS = {"es": _pattern(_PARA_ES), "en": _pattern(_PARA)}


def numbers(match: re.Match[str], count: int) -> tuple[list[int], bool]:
    """The paragraph numbers a reference match names, and whether it said "bis"."""
    if match.group("nums"):
        text = match.group("nums")
        bis = bool(re.search(r"(bis|ter)\b", text))
        return [int(n) for n in re.findall(r"\d{1,3}", text)], bis
    word = match.group("word_after") or match.group("word_before")
    if word:
        if word in _LAST:
            return [count + _LAST[word]], False
        return [_ORDINALS[word]], False
    return [int(match.group("num_before"))], False


def find(folded: str, count: int, language: str = "es") -> list[tuple[int, int, list[int], bool]]:
    """All references in folded text: (start, end, numbers, bis)."""
    found = []
    for match in _PATTERNS.get(language, _PATTERNS["es"]).finditer(folded):
        nums, bis = numbers(match, count)
        found.append((match.start(), match.end(), nums, bis))
    return found


def ordinal(word: str, count: int) -> int | None:
    """A number word or digits ("4", "cuarto", "last") as a paragraph number."""
    word = word.strip().rstrip(".")
    if word.isdigit():
        return int(word)
    if word in _LAST:
        return count + _LAST[word]
    return _ORDINALS.get(word)


NUMBER_WORD = rf"(?:\d{{1,3}}|{_WORDS})"
PARA_WORD = _PARA_ES
