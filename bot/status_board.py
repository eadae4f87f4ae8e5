"""A consultation's live status as Block Kit: one message per consultation, updated in place."""

import json
from datetime import datetime

import arrow
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import limits
from bot.blocks import Block, context, excerpt, header, packed, plain, section, sections, shorten
from bot.board_summary import MEMBERS_BUDGET, attention, sort_key
from bot.texts import Phrasebook, escape
from consultation import held, tally
from consultation.deadlines import render_deadline
from consultation.drafting import troika_consensus
from consultation.links import ConsoleLinks
from consultation.notes import Notes, notes_for
from consultation.status import ConsultationStatus, MemberLine, consultation_status
from consultation.vocabulary import Kind, Language, Standing, State

# Emoji read at a glance on a phone, before the words.
MARKS = {
    Standing.APPROVE: ":white_check_mark:",
    Standing.AMEND: ":pencil2:",
    Standing.OBJECT: ":no_entry:",
    Standing.ABSTAIN: ":white_circle:",
    Standing.PENDING: ":hourglass_flowing_sand:",
    Standing.SILENT: ":mute:",
}
_EXCERPT = 120
_REASONS = 400  # a held reply's reasons on a member's line; the review item has them whole
# Shares of the message's 10,000 characters of block text (``limits.MESSAGE_BLOCKS_TEXT``):
# the header (150), the summary, the members (``MEMBERS_BUDGET``), the open amendments, and a
# few hundred for the counts, the link, the buttons and the time of the update.
_SUMMARY = 1500
_AMENDMENTS = 1500
REMIND, EXTEND, CONCLUDE, SEND = "board_remind", "board_extend", "board_conclude", "board_send"


async def board(
    session: AsyncSession,
    consultation_id: str,
    book: Phrasebook,
    language: Language,
    now: datetime,
    *,
    with_buttons: bool = True,
    links: ConsoleLinks | None = None,
) -> tuple[list[Block], str]:
    """The blocks and the notification text of a consultation's status, as of ``now``."""
    status = await consultation_status(session, consultation_id, now=now)
    notes = await notes_for(session, status)
    blocks = render(status, notes, book, language, with_buttons, links=links)
    row = status.consultation
    title = row.title_es if language is Language.ES else row.title_en
    return blocks, f"{row.id} · {title} · {book.state(value=row.state)}"


def render(
    status: ConsultationStatus,
    notes: Notes,
    book: Phrasebook,
    language: Language,
    with_buttons: bool = True,
    *,
    links: ConsoleLinks | None = None,
) -> list[Block]:
    row = status.consultation
    title = row.title_es if language is Language.ES else row.title_en
    heading = f"{row.id} · {title}"
    # A title too long for the header is shortened there and said whole below it.
    summary = [f"*{escape(title)}*"] if len(heading) > limits.HEADER_TEXT else []
    summary += [
        book.summary(
            state_value=row.state,
            version=status.version.number,
            urgent=Kind(row.kind) is Kind.URGENT,
        )
    ]
    if status.deadline is not None:
        deadline = render_deadline(status.deadline, timezone=row.timezone, language=language)
        open_ = status.state is State.CONSULTING
        summary.append(
            book.deadline_line(
                deadline=deadline, days_left=status.business_days_left if open_ else None
            )
        )
    if status.troika and status.state in (State.DRAFT, State.TROIKA_REVIEW):
        reviews = [(r.country, r.status, escape(r.comment or "")) for r in status.troika]
        summary.append(book.troika_line(round=row.troika_round, reviews=reviews))
    if status.state in (State.CONSULTING, State.TALLIED, State.CONCLUDED):
        outcome = row.outcome or status.result.outcome.value
        depends = [] if row.outcome else _depends(status, language)
        summary.append(book.outcome_line(outcome=outcome, final=bool(row.outcome), depends=depends))
    blocks: list[Block] = [header(heading), section(shorten("\n".join(summary), _SUMMARY))]
    if status.version.distributed_at is not None:
        blocks += _members(status, notes, book, language)
    if status.open_amendments:
        lines = [book.open_amendments()] + [
            book.amendment(
                number=a.id,
                country=a.country,
                action=a.action,
                paragraph=a.paragraph,
                proposed=escape(_excerpt(a.proposed)),
            )
            for a in status.open_amendments
        ]
        url = links.consultation(row.id) if links is not None else ""
        more = lambda n: book.more_amendments(n=n, url=url)  # noqa: E731
        blocks += packed(lines, budget=_AMENDMENTS, more=more)
    buttons = _buttons(status, book) if with_buttons else []
    if buttons:
        blocks.append({"type": "actions", "block_id": f"board:{row.id}", "elements": buttons})
    updated = arrow.get(status.now).to(row.timezone).format("YYYY-MM-DD HH:mm")
    if links is not None:
        blocks.append(context(book.console_board(url=links.consultation(row.id), id=row.id)))
    blocks.append(context(book.updated(when=updated)))
    return blocks


def _members(
    status: ConsultationStatus, notes: Notes, book: Phrasebook, language: Language
) -> list[Block]:
    """One line per member while they fit the members' share of the message; past it, the
    counts and the countries that need attention (``bot.board_summary``)."""
    lines = []
    named = [(m.name_es if language is Language.ES else m.name_en, m) for m in status.members]
    for name, m in sorted(named, key=lambda pair: sort_key(pair[0])):
        extra = []
        if m.amendments:
            extra.append(book.amendment_count(n=m.amendments))
        if m.extension_requested:
            extra.append(book.asks_time())
        extra += [
            book.out_of_office(contact=escape(c), until=u) for c, u in notes.away.get(m.code, [])
        ]
        extra += [book.bounced(address=escape(a)) for a in notes.bouncing.get(m.code, [])]
        tail = f" · _{'; '.join(extra)}_" if extra else ""
        lines.append(
            f"{MARKS[m.standing]} *{name}* — {book.standing(value=m.standing.value)}"
            f"{_held(m, book, language)}{tail}"
        )
    if sum(len(line) + 1 for line in lines) > MEMBERS_BUDGET:
        return attention(status, book, language, set(notes.bouncing), set(notes.away))
    counts: dict[str, int] = {s.value: status.result.count(s) for s in Standing}
    counts["held"] = sum(len(m.held) for m in status.members)
    return [{"type": "divider"}, *sections(lines), context(book.counts(c=counts))]


def _held(m: MemberLine, book: Phrasebook, language: Language) -> str:
    """The note after the standing ("— a newer reply is held for review: …"), with the
    reasons of all its held replies in words."""
    if not m.held:
        return ""
    kind = "newer" if m.held_newer else ("earlier" if m.answered_at else "held")
    reasons = held.describe(",".join(h.reasons for h in m.held), language)
    return f" — *{book.held(kind=kind, reasons=escape(_excerpt(reasons, _REASONS)))}*"


def _depends(status: ConsultationStatus, language: Language) -> list[tuple[str, bool]]:
    spanish = language is Language.ES
    found = [
        (m.name_es if spanish else m.name_en, m.held_newer)
        for m in status.members
        if m.code in status.depends_on
    ]
    return sorted(found, key=lambda pair: sort_key(pair[0]))


def _buttons(status: ConsultationStatus, book: Phrasebook) -> list[Block]:
    """Only the steps the procedure allows right now."""
    row, state = status.consultation, status.state
    found = []
    if state is State.TROIKA_REVIEW and troika_consensus(status.troika):
        found.append(_button(book.send_now(), SEND, row.id, primary=True))
    if state is State.CONSULTING and status.result.with_standing(Standing.PENDING):
        found.append(_button(book.remind(), REMIND, row.id))
    if state in (State.CONSULTING, State.TALLIED):
        found.append(_button(book.extend(), EXTEND, row.id))
        passed = state is State.TALLIED or status.deadline_passed
        if tally.may_conclude(status.result, deadline_passed=passed):
            found.append(_button(book.conclude(), CONCLUDE, row.id, primary=True))
    return found


def _button(label: str, action_id: str, consultation_id: str, *, primary: bool = False) -> Block:
    button: Block = {
        "type": "button",
        "text": plain(label, limits.BUTTON_TEXT),
        "action_id": action_id,
        "value": json.dumps({"c": consultation_id}),
    }
    if primary:
        button["style"] = "primary"
    return button


def _excerpt(text: str | None, limit: int = _EXCERPT) -> str:
    return excerpt(text, limit)
