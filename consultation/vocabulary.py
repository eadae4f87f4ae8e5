"""The procedure's vocabulary (DESIGN §2) as string enums shared by every layer."""

import unicodedata
from enum import StrEnum


class Language(StrEnum):
    ES = "es"
    EN = "en"


class Role(StrEnum):
    FOCAL_POINT = "focal_point"  # speaks for a country in a consultation
    PPT = "ppt"  # officer of the Pro-Tempore Presidency: runs the procedure
    TROIKA = "troika"  # represents a Troika country in the preliminary review
    ST = "st"  # Technical Secretariat: follows deadlines, keeps the record


class CountryStatus(StrEnum):
    MEMBER = "member"
    OBSERVER = "observer"


class Kind(StrEnum):
    STANDARD = "standard"  # 5 business days (Lineamientos 3.2)
    URGENT = "urgent"  # 3 business days (Santa Fe document 5.8)


class SilenceRule(StrEnum):
    # Default of the CRM's practice: a member that does not answer joins the consensus.
    NO_OBJECTION = "no_objection"
    # Every member must answer: a silent member keeps consensus from forming.
    EXPLICIT = "explicit"


class State(StrEnum):
    DRAFT = "draft"
    TROIKA_REVIEW = "troika_review"
    CONSULTING = "consulting"
    TALLIED = "tallied"
    CONCLUDED = "concluded"
    WITHDRAWN = "withdrawn"


class PositionValue(StrEnum):
    APPROVE = "approve"
    AMEND = "amend"
    OBJECT = "object"
    ABSTAIN = "abstain"


class Standing(StrEnum):
    """A member's standing on the current version: an answer, or what its absence means."""

    APPROVE = "approve"
    AMEND = "amend"
    OBJECT = "object"
    ABSTAIN = "abstain"
    PENDING = "pending"  # no answer yet, the period is running
    SILENT = "silent"  # the period ran out without an answer


class Outcome(StrEnum):
    CONSENSUS = "consensus"
    CONSENSUS_WITH_AMENDMENTS = "consensus_with_amendments"
    BLOCKED = "blocked"


class AmendmentAction(StrEnum):
    REPLACE = "replace"
    DELETE = "delete"
    INSERT_AFTER = "insert_after"


class AmendmentStatus(StrEnum):
    PROPOSED = "proposed"
    INCORPORATED = "incorporated"
    NOT_INCORPORATED = "not_incorporated"


class TroikaStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


DAYS_BY_KIND: dict[Kind, int] = {Kind.STANDARD: 5, Kind.URGENT: 3}


# What a person may type for a position (``--position``), in either language; matched
# without accents or case, so "abstención", "Se abstiene" and "abstain" are the same.
POSITION_WORDS: dict[str, PositionValue] = {
    **{w: PositionValue.APPROVE for w in ("approve", "approves", "aprueba", "aprobar", "apruebo")},
    **{w: PositionValue.APPROVE for w in ("aprobamos", "aprobacion", "conforme", "de acuerdo")},
    **{w: PositionValue.AMEND for w in ("amend", "amends", "enmienda", "enmiendas", "enmendar")},
    **{w: PositionValue.AMEND for w in ("aprueba con enmiendas", "con enmiendas")},
    **{w: PositionValue.OBJECT for w in ("object", "objects", "objeta", "objetar", "objeto")},
    **{w: PositionValue.OBJECT for w in ("objetamos", "objecion", "se opone")},
    **{w: PositionValue.ABSTAIN for w in ("abstain", "abstains", "se abstiene", "abstiene")},
    **{w: PositionValue.ABSTAIN for w in ("abstenerse", "abstencion", "nos abstenemos")},
}


def position_from_words(text: str) -> PositionValue | None:
    """The position a person named (``"se abstiene"`` → abstain), or None if none matches."""
    folded = "".join(
        c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c)
    )
    return POSITION_WORDS.get(" ".join(folded.replace("_", " ").split()))
