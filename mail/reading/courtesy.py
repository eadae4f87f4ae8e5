"""Courtesies: a "gracias" / "noted" that says nothing else, filed rather than put to review.

The rule (issue #14): the sender's own words, up to a closing ("Saludos", "Regards", …, after
which comes the signature), are thanks or an acknowledgement and at most a few other words (a
greeting, "por la confirmación"); no question mark. The caller also requires that the reader
found no position, change or request. A reply to one of our receipts may carry a little more
("muchas gracias, Ana María, por la confirmación"): the receipt says what it thanks for.
"""

from __future__ import annotations

import re

from mail.reading.normal import fold

_THANKS = re.compile(
    r"\b(?:(?:muchas|muchisimas|mil) )?gracias\b|\bagradec\w*|\brecibid[oa]s?\b|\bacuso recibo\b|"
    r"\bacusamos recibo\b|\benterad[oa]s?\b|\bperfecto\b|\bexcelente\b|\bok(?:ay)?\b|"
    r"\b(?:many |much )?thanks?\b|\bthank you(?: very much| so much)?\b|\bnoted\b|\breceived\b|"
    r"\bwell received\b|\bmuch appreciated\b|\bappreciated\b|\backnowledged\b|\bcopy that\b"
)
_FILLER = re.compile(
    r"\b(?:por|la|el|su|sus|de|del|a|y|e|tanto|for|the|your|of|and|you|very|much|so|"
    r"confirmacion|confirmar|confirming|confirmation|acuse|recibo|receipt|mensaje|message|"
    r"correo|email|informacion|information|estimad[oa]s?|querid[oa]s?|dear|hola|hello|hi|"
    r"buen[oa]s? (?:dias|tardes|noches)|good (?:morning|afternoon|evening)|colegas|colleagues|"
    r"all|todos|todas|atenta|atento|nota|note|it|this|esto|nuestra|nuestro|our|posicion|position|"
    r"respuesta|answer|reply)\b"
)
_CLOSING = re.compile(
    r"^(?:(?:un |muy )?(?:cordial(?:es)? |afectuos[oa]s? )?saludos?\b|atentamente|cordialmente|"
    r"(?:best|kind|warm)? ?regards|best wishes|sincerely|yours|best\W*$|--\s*$)",
    re.MULTILINE,
)
_MAX_LEFT = 2  # words neither thanks nor filler, e.g. a name in a greeting
_MAX_LEFT_AFTER_RECEIPT = 3


def is_courtesy(own_text: str, *, answers_receipt: bool = False) -> bool:
    """Whether ``own_text`` only thanks or acknowledges (see the module for the rule)."""
    text = fold(_before_closing(own_text))
    if "?" in text or not _THANKS.search(text):
        return False
    left = _FILLER.sub(" ", _THANKS.sub(" ", text))
    words = re.findall(r"[a-z0-9]+", left)
    return len(words) <= (_MAX_LEFT_AFTER_RECEIPT if answers_receipt else _MAX_LEFT)


def _before_closing(own_text: str) -> str:
    """The words before the closing line: what follows is the signature."""
    lines = own_text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for line in lines:
        if _closing(line):
            break
        kept.append(line)
    return "\n".join(kept)


def without_closing(own_text: str) -> str:
    """The words without a closing line at their end ("Best regards,"): for quoting them."""
    lines = own_text.rstrip().replace("\r\n", "\n").split("\n")
    while lines and (not lines[-1].strip() or _closing(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def _closing(line: str) -> bool:
    """A closing line ("Saludos cordiales,"), not a sentence that begins like one."""
    folded = fold(line.strip())
    return bool(_CLOSING.match(folded)) and len(folded.split()) <= 4 and "." not in folded
