"""Factories that walk a consultation to the state a test needs, through the real use cases."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from consultation import answers, distribution, drafting
from consultation.answers import Answer, ProposedChange
from consultation.moves import Move
from consultation.roster import default_roster_text, load_roster
from consultation.roster_sync import import_roster
from consultation.texts import Text
from consultation.timesource import ManualTime
from consultation.vocabulary import Kind, PositionValue, SilenceRule, State
from store.database import Database
from store.tables import PositionRow

TEXT_ES = [
    "La CRM reconoce el aumento de los flujos migratorios extracontinentales en la región.",
    "Los países miembros intercambiarán información sobre rutas y perfiles"
    " en un plazo de cinco días.",
    "La Secretaría Técnica elaborará un informe anual.",
    "La PPT informará de los resultados en la próxima reunión viceministerial.",
]
TEXT_EN = [
    "The RCM recognises the increase of extra-continental migration flows in the region.",
    "Member countries will exchange information on routes and profiles within five days.",
    "The Technical Secretariat will prepare an annual report.",
    "The PPT will report the results at the next Vice-Ministerial meeting.",
]
MEMBERS = ["BZ", "CA", "CR", "DO", "GT", "HN", "MX", "NI", "PA", "SV", "US"]
TROIKA = ["MX", "DO", "PA"]


def move(time: ManualTime, actor: str = "ppt@cancilleria.do.example") -> Move:
    return Move(actor=actor, at=time.now())


async def seed_roster(db: Database, at: datetime) -> None:
    roster = load_roster(default_roster_text())
    async with db.transaction() as session:
        await import_roster(session, roster, actor="test", at=at)


@dataclass
class Made:
    id: str
    version: int


async def make_consultation(
    db: Database,
    time: ManualTime,
    *,
    state: State = State.CONSULTING,
    kind: Kind = Kind.STANDARD,
    silence: SilenceRule = SilenceRule.NO_OBJECTION,
    text: Text | None = None,
    seed: bool = True,
    title: tuple[str, str] = ("Flujos extracontinentales", "Extra-continental flows"),
    troika: Sequence[str] = TROIKA,
) -> Made:
    """A consultation in ``state`` (draft, troika_review or consulting), created the real way."""
    if seed:
        await seed_roster(db, time.now())
    draft = drafting.Draft(
        title_es=title[0],
        title_en=title[1],
        text=text or Text(es=TEXT_ES, en=TEXT_EN),
        kind=kind,
        silence=silence,
    )
    async with db.transaction() as session:
        row = await drafting.open_draft(session, draft, move(time))
    if state is State.DRAFT:
        return Made(row.id, 1)
    async with db.transaction() as session:
        await drafting.submit_to_troika(session, row.id, move(time))
    if state is State.TROIKA_REVIEW:
        return Made(row.id, 1)
    for country in troika:
        async with db.transaction() as session:
            await drafting.answer_troika(
                session, row.id, country=country, approve=True, comment=None, move=move(time)
            )
    async with db.transaction() as session:
        await distribution.send(session, row.id, move(time))
    assert state is State.CONSULTING, f"make_consultation does not build {state}"
    return Made(row.id, 1)


async def answer(
    db: Database,
    time: ManualTime,
    consultation_id: str,
    country: str,
    position: PositionValue | None,
    *,
    version: int = 1,
    changes: tuple[ProposedChange, ...] = (),
    extension: bool = False,
) -> PositionRow:
    async with db.transaction() as session:
        return await answers.record_answer(
            session,
            consultation_id,
            Answer(
                country=country,
                version=version,
                position=position,
                amendments=changes,
                extension_requested=extension,
            ),
            move(time, actor=f"focal@{country.lower()}.example"),
        )
