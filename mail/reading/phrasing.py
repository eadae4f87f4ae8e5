"""The wording of amendment instructions: regular expressions over accent-folded text."""

from __future__ import annotations

import re

from mail.reading import references

_N = references.NUMBER_WORD
_PARA = references.PARA_WORD


def _q(name: str) -> str:
    """A quoted phrase (double quotes of any style are folded to ``"``)."""
    double = rf"\"(?P<{name}>[^\"]{{1,800}})\""
    single = rf"(?<![a-z0-9])'(?P<{name}_s>[^']{{1,800}})'(?![a-z0-9])"
    return rf"(?:{double}|{single})"


_ART = (
    r"(?:(?:la|las|el|los) (?:palabras?|frases?|expresion(?:es)?|referencias?(?: a)?|terminos?|"
    r"texto|oracion) |the (?:words?|phrases?|expressions?|reference to|terms?|text|sentence) )?"
)
_REF = (
    rf"(?:{_PARA}\s*(?:n[o\u00b0]\.?\s*)?(?P<ref>{_N})|(?:el\s+|the\s+)?(?P<refw>{_N})\s+{_PARA})"
)
_WHERE = rf"(?:(?:en|in) (?:el |the )?{_PARA}\s*\d{{1,3}}\s*,?\s*)?"
_ADD = (
    r"(?:agregar|anadir|incluir|insertar|agrega|anade|incluye|inserta|agreguese|anadase|"
    r"incluyase|insertese|se agrega|se anade|se incluye|se inserta|add|insert|include)"
)
_DELETE = (
    r"(?:eliminar|elimina|eliminese|eliminando|suprimir|suprimase|suprime|suprimiendo|borrar|"
    r"quitar|tachar|se elimina|se suprime|delete|deleting|remove|removing|strike(?: out)?|"
    r"striking|omit|drop|(?:la )?(?:eliminacion|supresion) del?|(?:the )?(?:deletion|removal) of)"
)
_REPLACE = (
    r"(?:sustituir|sustituye|sustituyase|sustituimos|reemplazar|reemplazase|reemplazamos|cambiar|"
    r"cambiese|cambiamos|modificar|se sustituye|se reemplaza|se cambia|replace|change|amend)"
)
_NO_PHRASE = (
    r"(?![ ,:]*(?:(?:la|las|el|los|the) )?"
    r"(?:(?:palabras?|frases?|expresion|words?|phrases?|terms?) )?[\"'])"
)
_READ = (
    r"(?:quedaria|quedara|queda|quede|debe decir|deberia decir|debera decir|diria|dira|diga|"
    r"se lee|se leera|leera|(?:quedaria |queda |quedara )?redactado|should read|shall read|"
    r"would read|to read|will read|reads|should be amended to read|be amended to read|"
    r"amended to read|is replaced by|be replaced by|should be replaced (?:by|with)|"
    r"to be replaced (?:by|with)|becomes|would become)"
)
_MANNER = (
    r"(?:\s+(?:de la siguiente (?:manera|forma)|como sigue|asi|as follows|del siguiente modo|"
    r"en los siguientes terminos|in the following terms))?"
)

_POS = r"despues del?|tras el|a continuacion del?|luego del?|after|antes del?|before"

_PARAGRAPH_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "insert",
        rf"\b{_ADD}\s+(?:un |una |a |el |the |the following )?(?:nuevo |new |additional |otro )?"
        rf"(?:parrafo|paragraph|para\.?)(?: nuevo| adicional)?(?:\s+(?P<newnum>\d{{1,3}})"
        rf"(?:\s*(?P<nbis>bis|ter))?)?\s*(?:(?P<pos>despues del?|tras el|a continuacion del?|"
        rf"luego del?|after|antes del?|before)\s+(?:el |the )?(?:parrafos? |paragraphs? |para\.? |"
        rf"numeral )?(?P<anchor>{_N})|(?P<at_end>al final|at the end)|(?P<at_start>al (?:inicio|"
        rf"principio|comienzo)|at the (?:beginning|start)))?(?:\s+(?:del texto|del documento|"
        rf"of the text|of the document))?(?:\s*,?\s*(?:que diga|que diria|que se lea|con el "
        rf"(?:siguiente )?texto|con la siguiente redaccion|to read|reading|as follows|"
        rf"del siguiente tenor|with the following text)(?: lo siguiente)?)?\s*:?",
    ),
    (
        # "Insertar después del párrafo 7 el siguiente párrafo nuevo:" (place before the noun)
        "insert",
        rf"\b{_ADD}\s+(?P<pos>{_POS})\s+(?:el |the )?(?:parrafo|paragraph|para\.?)\s*"
        rf"(?P<anchor>{_N})\s*,?\s*(?:el siguiente |la siguiente |un |una |the following |a )?"
        rf"(?:nuevo |new |additional )?(?:parrafo|paragraph|texto|text)(?: nuevo| adicional)?"
        rf"(?:\s*,?\s*(?:que diga|to read|reading|as follows))?\s*:?",
    ),
    (
        # "New paragraph after paragraph 5:" / "Nuevo párrafo después del 5:" (no verb)
        "insert",
        rf"\b(?:nuevo|new|additional)\s+(?:parrafo|paragraph|para\.?)\s+(?P<pos>{_POS})\s+"
        rf"(?:el |the )?(?:parrafo |paragraph |para\.? |numeral )?(?P<anchor>{_N})\s*:",
    ),
    (
        "insert",
        r"\b(?:nuevo|new|additional)\s+(?:parrafo|paragraph|para\.?)\s+(?P<newnum>\d{1,3})"
        r"(?:\s*(?P<nbis>bis|ter))?\s*(?:\((?:nuevo|new)\))?\s*:",
    ),
    (
        "insert",
        r"\b(?:parrafo|paragraph|para\.?)\s+(?P<newnum>\d{1,3})\s*(?:(?P<nbis>bis|ter)\b|"
        r"\((?:nuevo|new)\))\s*:?",
    ),
    (
        "delete",
        rf"\b{_DELETE}\s+(?:(?:in )?(?:its|their) entirety |entirely |completely |"
        rf"integramente |totalmente )?(?:el |los |la |the )?{_REF}\b{_NO_PHRASE}",
    ),
    (
        "delete",
        rf"{_REF}\s*(?:\([^)]*\))?\s*[:.,-]?\s*(?:please\s+|favor\s+|se propone\s+|"
        rf"proponemos\s+|we propose to\s+)?(?:se elimina|se suprime|eliminar|suprimir|"
        rf"borrar|delete|remove|strike|deleted|eliminado|suprimido|to be deleted|"
        rf"should be deleted|debe eliminarse|debe suprimirse|deberia eliminarse|"
        rf"deberia suprimirse|(?:is|be) (?:deleted|removed|struck)|se elimine|se suprima|"
        rf"sea (?:eliminado|suprimido))\b{_NO_PHRASE}",
    ),
    (
        # "Párrafo 4: sustituir por: «…»" / "Paragraph 4: replace with: "…"" (issue #14)
        "replace",
        rf"{_REF}\s*(?:\([^)]*\)\s*)?[:.,-]\s*(?:se propone\s+|proponemos\s+|please\s+|"
        rf"we propose to\s+)?{_REPLACE}(?:lo|la)?\s+(?:(?:it|its text|el texto)\s+)?(?:por|con|"
        rf"with|by)\s*(?:el siguiente|la siguiente|the following)?\s*(?:texto|redaccion|text|"
        rf"wording)?\s*:?",
    ),
    ("replace", rf"{_REF}\s*(?:\([^)]*\)\s*)?(?:,\s*)?{_READ}{_MANNER}\s*:?"),
    (
        "replace",
        rf"\b{_REPLACE}\s+(?:el |the )?(?:texto del |text of )?{_REF}\s+(?:por|con|with|"
        rf"by|to read)\s+(?:el siguiente|la siguiente|the following)?\s*(?:texto|"
        rf"redaccion|text|wording)?\s*:?",
    ),
    (
        "replace",
        rf"\b(?:nueva redaccion|redaccion propuesta|propuesta de redaccion|texto "
        rf"propuesto|new wording|proposed wording|proposed text|suggested wording|"
        rf"revised text|texto revisado|siguiente redaccion|following (?:wording|text|language)"
        rf"|redaccion siguiente)\s*(?:para|del|de|for|of|in)\s+(?:el |the )?{_REF}\s*:?",
    ),
    (
        "replace",
        rf"{_REF}[^\"\n:]{{0,40}}?\b(?:la siguiente redaccion|el siguiente texto|la redaccion "
        rf"siguiente|the following (?:wording|text|language)|nueva redaccion|new wording)\s*:?",
    ),
    (
        "insert",
        rf"\b{_ADD}\s+(?P<at_end>al final|at the end)(?:\s+(?:del texto|del documento|of the "
        rf"text|of the document))?\s*,?\s+(?:el siguiente|un|una|the following|a)?\s*(?:nuevo |"
        rf"new )?(?:parrafo|paragraph)(?: nuevo)?\s*:?",
    ),
)

_PHRASE_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "replace",
        rf"\b(?:donde dice|where it (?:says|reads)|where the text (?:says|reads))\s*:?\s*"
        rf"{_q('old')}[\s,;.]*(?:(?:debe|deberia|debera|debiera|que|it should|should|"
        rf"shall|to)\s+(?:decir|say|read)|diga|read)\s*:?\s*{_q('new')}",
    ),
    (
        "insert",
        rf"\b(?:despues de|tras|a continuacion de|luego de|after)\s+{_ART}{_q('old')}\s*,?"
        rf"\s*{_ADD}\s+{_ART}:?\s*{_q('new')}",
    ),
    (
        "insert_before",
        rf"\b(?:antes de|before|delante de)\s+{_ART}{_q('old')}\s*,?\s*{_ADD}\s+"
        rf"{_ART}:?\s*{_q('new')}",
    ),
    (
        "insert",
        rf"\b{_ADD}\s+{_ART}:?\s*{_q('new')}\s*,?\s*(?:justo )?(?:despues de|tras|"
        rf"a continuacion de|luego de|after)\s+{_ART}{_q('old')}",
    ),
    (
        "insert_before",
        rf"\b{_ADD}\s+{_ART}:?\s*{_q('new')}\s*,?\s*(?:justo )?(?:antes de|before|"
        rf"delante de)\s+{_ART}{_q('old')}",
    ),
    (
        "append",
        rf"\b{_ADD}\s+(?:al final|at the end)(?:\s+(?:del|of(?: the)?)\s+(?:parrafo|"
        rf"paragraph|para\.?|texto|text)(?:\s+\d{{1,3}})?)?\s*(?:(?:lo|la) siguiente|"
        rf"the following)?\s*[:,]?\s*{_q('new')}",
    ),
    ("append", rf"\b{_ADD}\s+{_q('new')}\s+(?:al final|at the end)"),
    (
        "append",
        rf"\b(?:al final|at the end)(?: del| of(?: the)?) (?:parrafo|paragraph|para\.?|texto|text)"
        rf"(?:\s+\d{{1,3}})?\s*,?\s*{_ADD}\s+(?:(?:lo|la) siguiente |the following )?:?\s*"
        rf"{_q('new')}",
    ),
    (
        "prepend",
        rf"\b{_ADD}\s+(?:al (?:inicio|principio|comienzo)|at the (?:beginning|start))"
        rf"(?:\s+(?:del|of(?: the)?)\s+(?:parrafo|paragraph|para\.?)(?:\s+\d{{1,3}})?)?"
        rf"\s*[:,]?\s*{_q('new')}",
    ),
    (
        "replace",
        rf"\b{_REPLACE}\s+{_WHERE}{_ART}{_q('old')}\s*,?\s*(?:por|con|with|by|to|"
        rf"para que (?:diga|se lea)|a)\s+{_ART}:?\s*{_q('new')}",
    ),
    ("replace_reversed", rf"\bsubstitute\s+{_q('new')}\s+for\s+{_q('old')}"),
    (
        "replace",
        rf"\b(?:en (?:lugar|vez) de|instead of|rather than)\s+{_q('old')}\s*,?\s*"
        rf"(?:(?:poner|decir|colocar|usar|utilizar|incluir|escribir|use|say|read|put|"
        rf"write|insert)\s*)?:?\s*{_q('new')}",
    ),
    (
        "replace",
        rf"{_q('new')}\s*,?\s*(?:en (?:lugar|vez) de|instead of|rather than)\s+{_q('old')}",
    ),
    (
        "replace",
        rf"{_q('old')}\s*,?\s*(?:se sustituye|se reemplaza|se cambia|debe(?:ria)? "
        rf"(?:sustituirse|cambiarse|reemplazarse|ser sustituid[ao]s?|ser reemplazad[ao]s?)"
        rf"|should be (?:replaced|changed|amended)|to be (?:replaced|changed)|"
        rf"(?:be|is) replaced|becomes|pasa a decir|pase a decir|should read|shall read)"
        rf"\s*(?:por|con|with|by|to|as)?\s*:?\s*{_q('new')}",
    ),
    ("delete", rf"\b{_DELETE}\s+{_WHERE}{_ART}{_q('old')}"),
    (
        "delete",
        rf"{_q('old')}\s*(?:debe(?:ria)? (?:eliminarse|suprimirse|borrarse|quitarse)|"
        rf"should be (?:deleted|removed|struck|omitted)|to be (?:deleted|removed)|"
        rf"se elimina|se suprime)",
    ),
    ("replace", rf"{_q('old')}\s*(?:por|->|=>|\u2192)\s*{_q('new')}"),
    (
        "replace_loose",
        r"\b(?:sustituir|reemplazar|replace|change)\s+(?P<old>[^\"\n]{2,120}?)\s+"
        r"(?:por|with|by|to)\s+(?P<new>[^\"\n]{1,200}?)\s*(?=[.;](?:\s|$)|$)",
    ),
)
COMPILED_PARAGRAPH = tuple((kind, re.compile(p)) for kind, p in _PARAGRAPH_PATTERNS)
COMPILED_PHRASE = tuple((kind, re.compile(p)) for kind, p in _PHRASE_PATTERNS)
HEADING = re.compile(rf"^\W*(?:(?:en|in) (?:el |the )?)?{_REF}\s*(?:\([^)]*\))?\s*[:.\-]?\s*$")
VERB = re.compile(
    rf"\b(?:{_ADD}|{_DELETE}|{_REPLACE}|sustituir|donde dice|debe decir|should read|"
    r"insert|agregar)\b"
)
# An interleaved answer that deletes the quoted paragraph above it without naming it:
# "Please delete this paragraph." / "Eliminar este párrafo." / "Este párrafo debe suprimirse."
HERE_DELETE = re.compile(
    rf"\b{_DELETE}\s+(?:(?:in )?its entirety |entirely |completely )?(?:this|este|dicho|"
    rf"el presente)\s+(?:parrafo|paragraph)\b|\b(?:this|este|dicho|el presente)\s+(?:parrafo|"
    rf"paragraph)\s+(?:should be (?:deleted|removed)|(?:is|be) (?:deleted|removed)|"
    rf"debe(?:ria)? (?:eliminarse|suprimirse)|se elimina|se suprime)\b"
)
