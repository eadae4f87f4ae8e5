"""The country's position (approve / object / abstain / none) and whether it asks for more time.

Rules work sentence by sentence on accent-folded text. Longer, negated and idiomatic phrases are
matched first and their span is masked, so "no tenemos objeción" approves and never also counts
as "objeción", and "no podemos aprobar" objects and never also counts as "aprobar". Questions,
quoted passages and conditional clauses ("para estar en condiciones de sumarse al consenso") do
not state a position.

Time to consult (issue #14): "yes, but we need two more days to consult the capital" is read as a
person reads it: the country has not committed yet. When a message asks for more time *in order
to consult* (the capital, its authorities, instructions), an approval in it is provisional: no
position, extension requested. The PPT sees the request; the country's real answer follows. An
objection or an abstention stands (the country said no already), and a request for time for any
other reason leaves the approval as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mail.reading.normal import fold

APPROVE, OBJECT, ABSTAIN, PENDING, AMEND, RESERVATION = (
    "approve",
    "object",
    "abstain",
    "pending",
    "amend",
    "reservation",
)

_ES_MODAL = (
    r"(puede|podemos|pueden|puedo|esta en condiciones de|estamos en condiciones de|"
    r"se encuentra en condiciones de|nos encontramos en condiciones de|estan en condiciones de)"
)
_ES_NEG_MODAL = (
    r"no (puede|podemos|pueden|puedo|podria|podriamos|podra|podran|esta en condiciones de|"
    r"estamos en condiciones de|se encuentra en condiciones de|nos encontramos en condiciones de|"
    r"le es posible|nos es posible|es posible|estaria en condiciones de|estariamos en condiciones "
    r"de)"
)
_ES_ENDORSE_INF = (
    r"(acompanar|aprobar|apoyar|respaldar|aceptar|avalar|sumarse|sumarnos|unirse|unirnos|"
    r"adherirse|adherirnos|suscribir|endosar)(lo|la|los|las)?"
)
_EN_NEG_MODAL = (
    r"(cannot|can ?not|can't|could not|couldn't|is unable to|are unable to|unable to|"
    r"not in a position to|is not able to|are not able to|not able to|will not|won't|"
    r"do not|does not|don't|doesn't)"
)
_EN_ENDORSE = r"(accept|support|approve|agree to|agree with|join|endorse|go along with|adopt)"

# Words that may stand between a negation and "objeción" without undoing it.
_FILLER = (
    r"tiene|tienen|tenemos|tengo|hay|habra|presenta|presentan|presentamos|formula|formulamos|"
    r"formulan|plantea|planteamos|interpone|interponemos|existe|existen|registra|registramos|"
    r"manifiesta|manifestamos|ninguna|ningun|mayores|alguna|una|otras|otros|comentarios?|"
    r"observaciones|cambios|u|o|ni|y|por|parte|de|nuestra|su|have|has|had|raise|raises|any|"
    r"further|additional|other|formal|comments?|or|nor|and|we|there|is|are|from|our|its"
)

# (pattern, signal, weight). Order matters: earlier patterns mask their span for later ones.
_RULES: tuple[tuple[str, str, float], ...] = (
    # -- withdrawn objections and double negatives: approve -------------------------------
    (r"\b(retira|retiramos|retiran|levanta|levantamos) (su|nuestra|la) objecion", APPROVE, 1.0),
    (r"\bwithdraws? (its|our|the) objection|\bno longer objects?\b", APPROVE, 1.0),
    (r"\bno longer opposes?\b|\b(is|are) not opposed\b", APPROVE, 1.0),
    (
        r"\bnada que objetar\b|\bnothing to object\b|\bno (tiene|tenemos) nada que objetar\b",
        APPROVE,
        1.0,
    ),
    # -- objections ------------------------------------------------------------------------
    (rf"\b{_ES_NEG_MODAL} {_ES_ENDORSE_INF}\b", OBJECT, 1.0),
    (
        r"\bno (aprueba|aprobamos|aprueban|apruebo|acepta|aceptamos|aceptan|apoya|apoyamos|"
        r"apoyan|respalda|respaldamos|acompana|acompanamos|acompanan|avala|avalamos)\b",
        OBJECT,
        1.0,
    ),
    (
        r"\b(no|ni) (se suma|nos sumamos|se une|nos unimos|se adhiere|nos adherimos)n? al consenso",
        OBJECT,
        1.0,
    ),
    (r"\bno (esta|estamos|estan|estoy) de acuerdo\b|\ben desacuerdo\b", OBJECT, 1.0),
    (rf"\b{_EN_NEG_MODAL} {_EN_ENDORSE}\b", OBJECT, 1.0),
    (r"\b(do|does) not agree\b|\bdisagrees?\b|\bnot in agreement\b", OBJECT, 1.0),
    # -- objections that are negated: approve ("no tenemos comentarios ni objeciones") -------
    (
        rf"\b(no|sin|ni|nor|without|not any)\b(\s+({_FILLER})){{0,5}}\s+"
        r"(objecion|objeciones|inconvenientes?|reparos?|oposicion|objections?)\b",
        APPROVE,
        1.0,
    ),
    (r"\bninguna (objecion|observacion)\b|\bobjecion alguna\b", APPROVE, 1.0),
    (
        r"\bno (se opone|se oponen|nos oponemos|me opongo|objeta|objetamos|objetan)\b",
        APPROVE,
        1.0,
    ),
    (
        r"\bwithout objection\b|\b(do|does|did|will|would) not object\b|"
        r"\b(don't|doesn't) object\b|\bnot objecting\b|\bnor objects?\b",
        APPROVE,
        1.0,
    ),
    # -- plain objections ------------------------------------------------------------------
    (r"\b(objeta|objetamos|objetan|objetar)\b|\bobjecion( formal)?\b|\bobjeciones\b", OBJECT, 1.0),
    (r"\b(se opone|se oponen|nos oponemos|me opongo)\b", OBJECT, 1.0),
    (
        r"\b(rechaza|rechazamos|rechazan)( el| la| este| esta)? (texto|proyecto|propuesta|"
        r"documento|declaracion|plan)\b",
        OBJECT,
        1.0,
    ),
    (
        r"\b(rompe|rompemos|romper) (el )?silencio\b|\bruptura del silencio\b|"
        r"\b(bloquea|bloqueamos|bloquear|impide|impedimos) (el )?consenso\b",
        OBJECT,
        1.0,
    ),
    (r"\b(no (es|resulta|seria) aceptable|inaceptable)\b", OBJECT, 1.0),
    (r"\bobjects?\b(?! of)|\bobjection\b|\bobjecting\b", OBJECT, 1.0),
    (
        r"\b(oppose|opposes|opposed)\b|\breject(s)? the (draft|text|proposal|declaration)\b",
        OBJECT,
        1.0,
    ),
    (r"\bbreak(s|ing)? (the )?silence\b|\bblock(s|ing)? (the )?consensus\b", OBJECT, 1.0),
    (r"\b(unacceptable|not acceptable)\b", OBJECT, 1.0),
    # -- abstentions -----------------------------------------------------------------------
    (
        r"\b(se abstiene|se abstienen|nos abstenemos|me abstengo|abstencion|abstenerse|"
        r"abstenernos)\b",
        ABSTAIN,
        1.0,
    ),
    (
        r"\bno (se pronuncia|se pronunciara|se pronuncian|nos pronunciamos|nos pronunciaremos)\b|"
        r"\bsin pronunciarse\b|\bno (emite|emitimos|emitira|toma|tomamos|tomara|adopta|adoptamos)"
        r" (opinion|posicion|pronunciamiento|postura)\b|\bse mantiene al margen\b",
        ABSTAIN,
        1.0,
    ),
    (
        r"\babstain(s|ing|ed)?\b|\babstention\b|\btakes? no position\b|"
        r"\b(will|does|do) not take a position\b|\bnot take a position\b",
        ABSTAIN,
        1.0,
    ),
    # -- approvals -------------------------------------------------------------------------
    (
        r"\b(se suma|nos sumamos|se une|nos unimos|se adhiere|nos adherimos|se suman|se unen)"
        r" al consenso\b",
        APPROVE,
        1.0,
    ),
    (rf"\b{_ES_MODAL} {_ES_ENDORSE_INF}\b", APPROVE, 1.0),
    (r"\b(aprueba|aprobamos|aprueban|apruebo|aprobado)\b", APPROVE, 1.0),
    (
        r"\b(acompana|acompanamos|acompanan|respalda|respaldamos|apoya|apoyamos|avala|avalamos|"
        r"suscribe|suscribimos|endosa|endosamos)\b",
        APPROVE,
        0.9,
    ),
    (
        r"\b(da|damos|otorga|otorgamos|manifiesta|manifestamos|expresa|expresamos) (su|nuestra) "
        r"(aprobacion|conformidad|visto bueno|anuencia|acuerdo|apoyo)\b|\bvisto bueno\b|"
        r"\bconformidad con\b",
        APPROVE,
        1.0,
    ),
    (
        r"\b(esta|estamos|estan|estoy) de acuerdo\b|\bde acuerdo con el (texto|proyecto|documento|"
        r"plan)\b",
        APPROVE,
        1.0,
    ),
    (
        r"\bwe (concur|agree|approve|support|endorse|accept)\b|\bconcurs?\b|\bapproves?\b|"
        r"\bendorses?\b|\bin agreement with\b",
        APPROVE,
        1.0,
    ),
    (
        rf"\b(can|could|is able to|are able to|is pleased to|are pleased to|is happy to|"
        rf"are happy to|will|is ready to|are ready to|is prepared to|are prepared to) "
        rf"{_EN_ENDORSE}\b",
        APPROVE,
        1.0,
    ),
    (
        r"\bjoins? (the )?consensus\b|\bsupports? the (draft|text|declaration|workplan|document|"
        r"proposal|plan)\b|\b(is|are) (fine|content|comfortable|happy|satisfied) with\b|"
        r"\bgreen light\b",
        APPROVE,
        1.0,
    ),
    (
        r"\b(confirm|confirms|confirmed|confirming|express|expresses|expressed|reiterate|"
        r"reiterates|convey|conveys|expresa|expresamos|confirma|confirmamos|reitera|reiteramos|"
        r"manifiesta|manifestamos|comunica|comunicamos|traslada|trasladamos)( (its|our|his|her|"
        r"su|nuestro|nuestra))?( (full|pleno|plena|total|entire))? (support|agreement|approval|"
        r"endorsement|concurrence|apoyo|acuerdo|aprobacion|respaldo|conformidad|anuencia|aval)\b",
        APPROVE,
        1.0,
    ),
    (
        r"\bcan live with\b|\b(estamos|esta|estan) conformes?\b|\bconforme con el\b|"
        r"\b(es|resulta|is|are) (aceptable|acceptable)\b|\bacceptable to (us|our)\b",
        APPROVE,
        0.9,
    ),
    # -- a whole sentence of assent: "De acuerdo.", "Conforme.", "Agreed.", "Fine with us."
    # Anchored: "de acuerdo con lo dispuesto", "conforme a", "agreed to meet" say something else.
    (
        r"^\W*(?:(?:estamos |esta |totalmente |completamente |muy bien, )?de acuerdo|"
        r"(?:todo )?conformes?|(?:fully |all )?agreed|(?:this is |that is |it is |that's |it's )?"
        r"(?:fine|ok|okay) (?:with|by|for) us)\b(?! (?:a|en|que|to|that|upon|on)\b)"
        r"(?:,? (?:con el|con la|with the) (?:texto|propuesta|documento|text|draft|proposal))?"
        r"(?=\W*$|[,.;!] )",
        APPROVE,
        1.0,
    ),
    (r"\b(?:fine|ok|okay) (?:with|by|for) us\b", APPROVE, 0.9),
    # -- "no comments": approve, but weakly (an acknowledgement can say the same) ----------
    (
        r"\bsin (comentarios|observaciones|cambios|modificaciones|mas comentarios)\b|\bno (tiene|"
        r"tienen|tenemos|tengo|hay|presenta|presentamos|formula|formulamos|realiza|realizamos)"
        r" (mas |otros |mayores |ningun |ningunos |nuevos )?(comentarios?|observacion(es)?|"
        r"cambios|modificaciones|propuestas|sugerencias)\b",
        APPROVE,
        0.6,
    ),
    (
        r"\bno (further |additional |other |more )?(comments|changes|edits|amendments|concerns|"
        r"observations)\b|\bhas no (further |additional )?(comments|concerns)\b|"
        r"\bnothing (further )?to add\b|\bnada (mas )?que (agregar|anadir|comentar)\b",
        APPROVE,
        0.6,
    ),
    # -- not yet: reviewing, acknowledging ------------------------------------------------
    (
        r"\bacus(amos|a|o) (de )?recibo\b|\backnowledges? (the )?receipt\b"
        r"|\backnowledging receipt\b"
        r"|\b(estamos|esta|se encuentra|nos encontramos) (revisando|analizando|evaluando|"
        r"consultando|estudiando)\b|\ben (proceso de )?(revision|analisis|consultas?) intern"
        r"|\bles haremos llegar\b|\b(aun|todavia) no\b|\bno (hay|existe) (aun |todavia )?consenso "
        r"interno\b|\b(still|currently) (reviewing|conducting|considering|consulting|studying|"
        r"examining)\b|\bunder (review|consideration)\b|\bwill (revert|get back|come back|respond|"
        r"reply|follow up|send (you )?our)\b|\bnot yet\b|\bin due course\b",
        PENDING,
        1.0,
    ),
    # -- proposals (amend intent; position comes from the amendments found) --------------
    (
        r"\b(propone|proponemos|propongo|sugiere|sugerimos|sugiero)\b|\b(siguientes|nuestras|sus|"
        r"las) (modificaciones|propuestas|enmiendas|ajustes|cambios|sugerencias)\b|"
        r"\bcontrol de cambios\b|\bcambios incorporados\b|\bsiguiente (ajuste|cambio|redaccion)\b|"
        r"\bpropuestas? de (modificacion|redaccion|cambio)\b",
        AMEND,
        1.0,
    ),
    (
        r"\b(propose|proposes|proposed|suggest|suggests)\b|\b(following|these|attached|our|minor|"
        r"one|two|three|some) (edits?|amendments?|changes|modifications|revisions)\b|"
        r"\bsubject to\b|\btracked changes\b|\bshould read\b",
        AMEND,
        1.0,
    ),
    (
        r"\b(con|bajo) reservas?\b|\bformula(mos)? (una )?reserva\b|\bwith (a )?reservations?\b|"
        r"\benters? a reservation\b|\b(se reserva|nos reservamos|reserves|reserve) (su|nuestra|"
        r"its|our) (posicion|position)\b",
        RESERVATION,
        1.0,
    ),
)
_COMPILED = tuple((re.compile(p), s, w) for p, s, w in _RULES)

# Conditional or hypothetical framing before a signal: "para estar en condiciones de sumarse",
# "la redacción que permitiría aprobar", "in order to join consensus", "if … we could support".
_CONDITIONAL = re.compile(
    r"\b(para (poder|estar en condiciones|que)|a fin de|con el fin de|permitiria|permitirian|"
    r"podria|podriamos|podrian|si se|siempre (que|y cuando)|en caso de que|una vez que|would "
    r"allow|would enable|in order to|so that|if|provided|once|unless|a menos que|salvo que)\b"
)
_QUOTED = re.compile(r"\"[^\"]{0,400}\"|'[^']{3,400}'(?!\w)")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_NEGATED = re.compile(r"\b(no|not|never|nunca|tampoco|ni)\s+(\w+\s+){0,2}$")
_NEGATION_REACH = 120  # "no" and two words before the approval: far more than any real words

_EXTENSION = re.compile(
    r"\b(prorroga|prorrogar|ampliacion del plazo|ampliar el plazo|amplie el plazo|extender el "
    r"plazo|extienda el plazo|extension del plazo|extension de plazo|plazo adicional|mas tiempo|"
    r"tiempo adicional|nuevo plazo|ampliar la fecha|extender la fecha|posponer|aplazar|"
    r"extension|extend the deadline|deadline\b.{0,40}\bextended|extend(ed|ing)? (the |our )?"
    r"(deadline|time|period|date|consultation)|more time|additional time|further time|"
    r"extra time|postpone|additional (week|weeks|days)|grace period|(una|dos|un par de) "
    r"semanas? (mas|adicionales?)|(semana|semanas|dias) adicionales?|(one|another|two) more "
    r"(week|weeks|days)|mas plazo|un plazo mayor|(?:un|uno|dos|tres|cuatro|cinco|\d{1,2}) "
    r"dias? (?:habiles )?(?:mas|adicionales?)|(?:one|two|three|four|five|a few|\d{1,2}) "
    r"(?:more|additional|extra) (?:business |working )?days?)\b|"
    r"\b(hasta|until|till)\b.{0,40}\b(para|to) (remitir|enviar|responder|presentar|contestar|"
    r"hacer llegar|respond|reply|send|submit|provide|revert|answer)\b"
)
# Time asked for to consult someone before committing (not "la consulta", the consultation).
_TO_CONSULT = re.compile(
    r"\b(consultar\w*|consult|consulting|capital|instrucciones|instructions|(?:nuestras|sus|"
    r"las) autoridades|(?:our|the) authorities)\b"
)
_REQUEST = re.compile(
    r"\b(solicit\w*|pid\w*|ped\w*|agradecer\w*|agradeceria\w*|rog\w*|quisier\w*|podri\w*|"
    r"permit\w*|necesit\w*|requer\w*|requier\w*|favor|gustaria|request\w*|ask\w*|grateful|"
    r"appreciate\w*|could|would|kindly|please|need\w*|require\w*|seek\w*|may we|hope|"
    r"posible|possible|seria|can we)\b"
)
_NOT_A_REQUEST = re.compile(
    r"\b(concedid[ao]s?|otorgad[ao]s?|granted|given)\b|\bno (necesitamos|necesitaremos|"
    r"requerimos|requeriremos|sera necesari[ao]|solicitaremos|solicitamos)\b|\bsin necesidad de\b"
    r"|\bno need\b|\b(do|does|will) not (need|require|request)\b"
)


@dataclass
class PositionReading:
    """Signals found in the sender's words."""

    position: str | None
    extension_requested: bool
    amend_intent: bool
    pending: bool
    confidence: float
    reasons: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def sentences(text: str) -> list[str]:
    """Split text into sentences and lines."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def signals(sentence: str) -> list[tuple[str, float, str]]:
    """(signal, weight, matched text) in one sentence; negated and conditional uses handled."""
    folded = _QUOTED.sub(" \u2026 ", fold(sentence))
    if folded.rstrip().endswith("?") or folded.lstrip().startswith("\u00bf"):
        return []
    found: list[tuple[str, float, str]] = []
    for pattern, signal, weight in _COMPILED:
        # the first conditional word, found once per pass (not once per match: linear time)
        condition = _CONDITIONAL.search(folded) if signal == APPROVE else None
        for match in pattern.finditer(folded):
            signal_here = signal
            if signal == APPROVE and _NEGATED.search(folded, _back(match), match.start()):
                signal_here = OBJECT
            if signal_here == APPROVE and condition and condition.end() <= match.start():
                signal_here = AMEND
            found.append((signal_here, weight, match.group(0)))
        folded = pattern.sub(lambda m: " " * len(m.group(0)), folded)
    return found


def _back(match: re.Match[str]) -> int:
    """Where a negation of ``match`` may start: a few words back. Searching the whole sentence
    before every match would be quadratic on a long one."""
    return max(0, match.start() - _NEGATION_REACH)


def extension_requested(text: str) -> bool:
    """Whether the sender asks for more time, however phrased."""
    for sentence in sentences(text):
        folded = fold(sentence)
        match = _EXTENSION.search(folded)
        if not match or _NOT_A_REQUEST.search(folded):
            continue
        if _REQUEST.search(folded) or re.search(r"\b(prorroga|extension)\b", folded):
            return True
    return False


def read_position(text: str, subject: str = "") -> PositionReading:
    """Combine the sentence signals of the sender's words (and, failing those, the subject)."""
    found = [s for sentence in sentences(text) for s in signals(sentence)]
    reasons: list[str] = []
    if not any(s[0] in {APPROVE, OBJECT, ABSTAIN} for s in found) and subject:
        subject_found = signals(_strip_prefixes(subject))
        if any(s[0] in {APPROVE, OBJECT, ABSTAIN} for s in subject_found):
            found += subject_found
            reasons.append("position_from_subject")
    kinds = {signal for signal, _, _ in found}
    weights = {k: max((w for s, w, _ in found if s == k), default=0.0) for k in kinds}
    extension = extension_requested(text)
    reading = PositionReading(
        position=None,
        extension_requested=extension,
        amend_intent=AMEND in kinds,
        pending=PENDING in kinds,
        confidence=0.9,
        reasons=reasons,
        evidence=[m for _, _, m in found],
    )
    _decide(reading, kinds, weights)
    if reading.position == APPROVE and extension and _TO_CONSULT.search(fold(text)):
        reading.position = None  # provisional: see the module
    return reading


def _decide(reading: PositionReading, kinds: set[str], weights: dict[str, float]) -> None:
    stated = kinds & {APPROVE, OBJECT, ABSTAIN}
    if RESERVATION in kinds:
        reading.reasons.append("reservation")
    if len(stated) > 1:
        reading.reasons.append("mixed_signals")
        reading.confidence = 0.4
    if OBJECT in stated:
        reading.position = OBJECT
    elif ABSTAIN in stated:
        reading.position = ABSTAIN
    elif APPROVE in stated:
        reading.position = APPROVE
        if weights[APPROVE] < 0.9:
            reading.confidence = min(reading.confidence, 0.75)
            if PENDING in kinds:
                reading.position = None
                reading.reasons.append("no_comments_while_reviewing")
    if reading.position is not None and PENDING in kinds and "mixed_signals" not in reading.reasons:
        reading.confidence = min(reading.confidence, 0.7)
    if "position_from_subject" in reading.reasons:
        reading.confidence = min(reading.confidence, 0.6)


def _strip_prefixes(subject: str) -> str:
    return re.sub(r"^\s*((re|res|aw|fw|fwd|rv|tr|wg|enc|sv)\s?:\s*)+", "", subject, flags=re.I)
