"""`consulta demo`: one consultation from draft to results on embedded defaults, time advanced
by hand, leaving the database, status boards, audit trail and queued notices in a folder."""

from collections import Counter
from datetime import datetime, time, timedelta
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlmodel import col, select

from consultation import answers, closing, distribution, drafting
from consultation.answers import Answer, ProposedChange
from consultation.moves import Move
from consultation.roster import default_roster_text, load_roster
from consultation.roster_sync import import_roster
from consultation.status import consultation_status
from consultation.texts import Text, paragraphs_from_text
from consultation.timesource import ManualTime, SystemTime
from consultation.vocabulary import AmendmentAction, Language, PositionValue
from service.cli_support import language, run, templates
from service.presenting import history_text, status_text
from store import queries
from store.database import Database
from store.migrate import upgrade
from store.tables import OutboxRow

PPT = "ppt@cancilleria.do.example"
GT_AMENDMENT = (
    "Los países miembros acuerdan intercambiar, por medio de sus puntos focales, información "
    "sobre rutas, perfiles y necesidades de protección de las personas migrantes "
    "extracontinentales, en un plazo de diez días hábiles desde cada solicitud."
)


class Demo:
    def __init__(self, out: Path, lang: Language, echo: bool = True) -> None:
        self.out, self.lang, self.echo = out, lang, echo
        self.db = Database(f"sqlite+aiosqlite:///{out / 'consulta.db'}")
        zone = ZoneInfo("America/Santo_Domingo")
        today = SystemTime().now().astimezone(zone).date()
        monday = today + timedelta(days=7 - today.weekday())  # next Monday, 09:00 in the PPT
        self.time = ManualTime(datetime.combine(monday, time(9), tzinfo=zone))
        self.boards = 0

    def move(self, actor: str = PPT) -> Move:
        return Move(actor=actor, at=self.time.now())

    def say(self, line: str) -> None:
        if self.echo:
            click.echo(click.style(f"\n▸ {line}", bold=True))

    async def run(self) -> str:
        await upgrade(self.db)
        try:
            consultation_id = await self.first_round()
            await self.second_round(consultation_id)
            await self.write_record(consultation_id)
            return consultation_id
        finally:
            await self.db.dispose()

    async def first_round(self) -> str:
        async with self.db.transaction() as s:
            await import_roster(
                s, load_roster(default_roster_text()), actor="demo", at=self.time.now()
            )
            row = await drafting.open_draft(
                s,
                drafting.Draft(
                    "Flujos migratorios extracontinentales",
                    "Extra-continental migration flows",
                    Text(es=_sample("es"), en=_sample("en")),
                ),
                self.move(),
            )
            await drafting.submit_to_troika(s, row.id, self.move())
        self.say(f"{row.id} opened by the PPT (Dominican Republic) and put to the Troika MX/DO/PA")
        for country in ("MX", "DO", "PA"):
            self.time.advance(timedelta(hours=2))
            async with self.db.transaction() as s:
                await drafting.answer_troika(
                    s,
                    row.id,
                    country=country,
                    approve=True,
                    comment=None,
                    move=self.move(f"troika:{country}"),
                )
        async with self.db.transaction() as s:
            await distribution.send(s, row.id, self.move())
        self.say("The Troika agrees; version 1 goes to the focal points of all 11 members")
        await self.answers(
            row.id,
            1,
            [
                (
                    "GT",
                    PositionValue.AMEND,
                    (ProposedChange(AmendmentAction.REPLACE, 2, GT_AMENDMENT),),
                ),
                ("CR", PositionValue.APPROVE, ()),
                ("CA", PositionValue.APPROVE, ()),
                ("NI", PositionValue.OBJECT, ()),
                ("HN", PositionValue.APPROVE, ()),
            ],
        )
        await self.board(row.id, "Two days in: answers arriving")
        return row.id

    async def second_round(self, consultation_id: str) -> None:
        revised = _sample("es")
        revised[1] = GT_AMENDMENT
        self.time.advance(timedelta(days=1))
        async with self.db.transaction() as s:
            await distribution.revise(
                s,
                consultation_id,
                Text(es=revised, en=None),
                self.move(),
                note="Se incorpora la propuesta de Guatemala (párrafo 2).",
            )
        self.say("The PPT takes up Guatemala's amendment: version 2 to all, the clock restarts")
        everyone = ["BZ", "CA", "CR", "DO", "GT", "HN", "MX", "PA", "SV", "NI"]
        await self.answers(consultation_id, 2, [(c, PositionValue.APPROVE, ()) for c in everyone])
        await self.board(consultation_id, "Version 2: ten approvals, the US silent so far")
        self.time.advance(timedelta(days=8))
        async with self.db.transaction() as s:
            await closing.tally_at_deadline(s, consultation_id, self.move("scheduler"))
            await closing.conclude(s, consultation_id, self.move())
        await self.board(
            consultation_id, "Deadline passed: silence counts as no objection; concluded"
        )

    async def answers(
        self,
        consultation_id: str,
        version: int,
        given: list[tuple[str, PositionValue, tuple[ProposedChange, ...]]],
    ) -> None:
        for country, position, changes in given:
            self.time.advance(timedelta(hours=1))
            async with self.db.transaction() as s:
                await answers.record_answer(
                    s,
                    consultation_id,
                    Answer(country=country, version=version, position=position, amendments=changes),
                    self.move(f"focal_point:{country}"),
                )

    async def board(self, consultation_id: str, caption: str) -> None:
        async with self.db.session() as s:
            view = await consultation_status(s, consultation_id, now=self.time.now())
        text = status_text(templates(), view, self.lang)
        self.boards += 1
        (self.out / f"status-{self.boards}.txt").write_text(text, encoding="utf-8")
        self.say(caption)
        if self.echo:
            click.echo(text)

    async def write_record(self, consultation_id: str) -> None:
        async with self.db.session() as s:
            row = await queries.consultation(s, consultation_id)
            assert row is not None
            events = await queries.events(s, consultation_id)
            notices = (await s.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
        trail = history_text(templates(), events, timezone=row.timezone, language=self.lang)
        (self.out / "history.txt").write_text(trail, encoding="utf-8")
        counts = Counter((n.kind, n.language) for n in notices)
        lines = [f"{kind:<18} {lang}  {count:>3}" for (kind, lang), count in sorted(counts.items())]
        (self.out / "outbox.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _sample(lang: str) -> list[str]:
    text = files("service").joinpath(f"demo_draft.{lang}.md").read_text(encoding="utf-8")
    return paragraphs_from_text(text)


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for the database and the record.",
)
@click.pass_context
def demo(ctx: click.Context, out: Path) -> None:
    """Run a whole consultation on embedded defaults (SQLite; nothing to configure)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "consulta.db").unlink(missing_ok=True)
    consultation_id = run(Demo(out, language(ctx)).run())
    click.echo(
        f"\nDone: {consultation_id}. Database, status boards, audit trail and the queued "
        f"notices are in {out}/ (try: CONSULTA_DB__URL=sqlite+aiosqlite:///{out}/consulta.db "
        f"./consulta history {consultation_id})."
    )


COMMANDS = [demo]
