"""The PPT's steps from the console, and the Troika's answer: one POST each, one transaction.

Each step is offered on ``/c/{id}`` only when the procedure allows it (``consultation.page``)
and the viewer's roles do (``consultation.permissions``); each is checked again here, by the
same use case Slack and the command line call. A refusal is the consultation's page again with
one sentence saying why, and nothing changed; success returns to the page (303) with a line
saying what was done.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import closing, distribution, drafting, reminders
from consultation.errors import InvalidInput, ProcedureError
from consultation.lifecycle import Action
from consultation.links import ConsoleLinks
from consultation.permissions import Deed
from consultation.texts import Text
from consultation.vocabulary import Kind, SilenceRule
from web.console import console_of
from web.drafts import DraftRefused, draft_text
from web.pages.consultation import show
from web.refusals import said, sentence
from web.render import page
from web.viewer import Viewer, require

LINKS = ConsoleLinks("")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def routes() -> list[web.RouteDef]:
    return [
        web.get("/new", new_form),
        web.post("/new", open_draft),
        web.post("/c/{id}/troika-answer", troika_answer),
        *[web.post(f"/c/{{id}}/{name}", _handler(action)) for name, action in STEPS.items()],
    ]


async def new_form(request: web.Request) -> web.StreamResponse:
    require(request, Deed.STEER)
    return page(request, "web/new.html", refusal="", form={})


async def open_draft(request: web.Request) -> web.StreamResponse:
    viewer = require(request, Deed.STEER)
    console = console_of(request)
    form = await request.post()
    typed = _typed(form)
    try:
        text = draft_text(console.env, viewer.language, form)
        draft = drafting.Draft(
            title_es=str(form.get("title_es") or "").strip(),
            title_en=str(form.get("title_en") or "").strip(),
            text=text,
            kind=Kind.URGENT if form.get("urgent") else Kind.STANDARD,
            silence=SilenceRule.EXPLICIT if form.get("explicit") else SilenceRule.NO_OBJECTION,
        )
        if not draft.title_es and not draft.title_en:
            raise InvalidInput("a consultation needs a title", phrase="no_title")
        async with console.db.transaction() as session:
            row = await drafting.open_draft(session, draft, viewer.move(console.time.now()))
    except DraftRefused as refused:
        return page(request, "web/new.html", status=422, refusal=refused.sentence, form=typed)
    except ProcedureError as exc:
        said = sentence(console.env, viewer.language, exc)
        return page(request, "web/new.html", status=422, refusal=said, form=typed)
    console_of(request).moved()  # its notices leave now; live pages look again
    raise web.HTTPSeeOther(f"{LINKS.consultation(row.id)}?done=opened")


@said
async def troika_answer(request: web.Request) -> web.StreamResponse:
    """A Troika seat's answer on the round, for the viewer's own country only."""
    viewer = require(request)
    require(request, Deed.ANSWER_FOR_TROIKA, viewer.country)
    return await _run(request, viewer, _troika_answer, done="troika_answered")


@dataclass(frozen=True)
class Posted:
    form: MultiDictProxy[Any]
    at: datetime
    text: Text | None = None  # a revision's text, read from the form before the transaction

    def field(self, name: str) -> str:
        return str(self.form.get(name) or "").strip()


StepWork = Callable[[AsyncSession, str, Viewer, Posted], Awaitable[object]]


async def _troika_answer(session: AsyncSession, cid: str, who: Viewer, p: Posted) -> None:
    await drafting.answer_troika(
        session,
        cid,
        country=who.country or "",
        approve=p.field("answer") == "approve",
        comment=p.field("comment") or None,
        move=who.move(p.at),
    )


async def _troika(session: AsyncSession, cid: str, who: Viewer, p: Posted) -> None:
    await drafting.submit_to_troika(session, cid, who.move(p.at))


async def _send(session: AsyncSession, cid: str, who: Viewer, p: Posted) -> None:
    await distribution.send(session, cid, who.move(p.at))


async def _extend(session: AsyncSession, cid: str, who: Viewer, p: Posted) -> None:
    days = p.field("days")
    if not days.isdigit() or int(days) < 1:
        raise InvalidInput("give a whole number of business days", phrase="positive_days")
    await distribution.extend(session, cid, int(days), who.move(p.at))


async def _remind(session: AsyncSession, cid: str, who: Viewer, p: Posted) -> None:
    await reminders.remind(session, cid, who.move(p.at))


async def _conclude(session: AsyncSession, cid: str, who: Viewer, p: Posted) -> None:
    share = bool(p.field("share_positions"))
    await closing.conclude(session, cid, who.move(p.at), share_positions=share)


async def _withdraw(session: AsyncSession, cid: str, who: Viewer, p: Posted) -> None:
    await closing.withdraw(session, cid, who.move(p.at), reason=p.field("reason"))


async def _revise(session: AsyncSession, cid: str, who: Viewer, p: Posted) -> None:
    assert p.text is not None
    # The PPT ticks the amendments the new text takes up; none ticked is a choice too.
    chosen = {int(v) for v in p.form.getall("incorporated", []) if str(v).isdigit()}
    await distribution.revise(
        session, cid, p.text, who.move(p.at), note=p.field("note"), incorporated=chosen
    )


STEPS: dict[str, tuple[Action, StepWork]] = {
    "troika": (Action.SUBMIT_TO_TROIKA, _troika),
    "send": (Action.SEND, _send),
    "revise": (Action.REVISE, _revise),
    "extend": (Action.EXTEND, _extend),
    "remind": (Action.REMIND, _remind),
    "conclude": (Action.CONCLUDE, _conclude),
    "withdraw": (Action.WITHDRAW, _withdraw),
}


def _handler(entry: tuple[Action, StepWork]) -> Handler:
    action, work = entry

    @said
    async def handler(request: web.Request) -> web.StreamResponse:
        viewer = require(request, Deed.STEER)
        return await _run(
            request, viewer, work, done=action.value, reads_text=action is Action.REVISE
        )

    return handler


async def _run(
    request: web.Request,
    viewer: Viewer,
    work: StepWork,
    *,
    done: str,
    reads_text: bool = False,
) -> web.StreamResponse:
    console = console_of(request)
    cid = request.match_info["id"].upper()
    form = await request.post()
    try:
        text = draft_text(console.env, viewer.language, form) if reads_text else None
        async with console.db.transaction() as session:
            await work(session, cid, viewer, Posted(form, console.time.now(), text))
    except DraftRefused as refused:
        return await show(
            request, viewer, cid, refusal=refused.sentence, status=422, form=_typed(form)
        )
    except ProcedureError as exc:
        said = sentence(console.env, viewer.language, exc)
        return await show(request, viewer, cid, refusal=said, status=409, form=_typed(form))
    console_of(request).moved()  # its notices leave now; live pages look again
    raise web.HTTPSeeOther(f"{LINKS.consultation(cid)}?done={done}")


def _typed(form: MultiDictProxy[Any]) -> dict[str, str]:
    """What the viewer typed, to show it again with a refusal (files cannot be kept)."""
    keys = ("title_es", "title_en", "text_es", "text_en", "note", "days", "reason", "comment")
    return {k: str(form.get(k)) for k in keys if isinstance(form.get(k), str)}
