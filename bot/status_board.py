"""A consultation's live status as Block Kit: one message per consultation, updated in place."""

import json
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

import arrow
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.blocks import Block
from bot.texts import Phrasebook, escape
from consultation import held, tally
from consultation.deadlines import render_deadline
from consultation.drafting import troika_consensus
from consultation.status import ConsultationStatus, MemberLine, consultation_status
from consultation.vocabulary import Kind, Language, Role, Standing, State
from store import queries

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
_SECTION = 3000
REMIND, EXTEND, CONCLUDE, SEND = "board_remind", "board_extend", "board_conclude", "board_send"


@dataclass(frozen=True)
class Notes:
    """What the store knows about reaching each country, beyond its position."""

    away: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    bouncing: dict[str, list[str]] = field(default_factory=dict)


async def notes_for(session: AsyncSession, status: ConsultationStatus) -> Notes:
    since = status.version.distributed_at or status.version.created_at
    away: dict[str, list[tuple[str, str | None]]] = {}
    for event in await queries.events(session, status.consultation.id, kinds=["out_of_office"]):
        country = event.payload.get("country")
        if country and event.at >= since:
            until = event.payload.get("until")
            away.setdefault(str(country), []).append(
                (str(event.payload.get("contact") or event.actor), str(until) if until else None)
            )
    failing = await queries.failing_addresses(session, Role.FOCAL_POINT.value)
    members = {line.code for line in status.members}
    return Notes(away, {code: found for code, found in failing.items() if code in members})


async def board(
    session: AsyncSession,
    consultation_id: str,
    book: Phrasebook,
    language: Language,
    now: datetime,
    *,
    with_buttons: bool = True,
) -> tuple[list[Block], str]:
    """The blocks and the notification text of a consultation's status, as of ``now``."""
    status = await consultation_status(session, consultation_id, now=now)
    blocks = render(status, await notes_for(session, status), book, language, with_buttons)
    row = status.consultation
    title = row.title_es if language is Language.ES else row.title_en
    return blocks, f"{row.id} · {title} · {book.state(value=row.state)}"


def render(
    status: ConsultationStatus,
    notes: Notes,
    book: Phrasebook,
    language: Language,
    with_buttons: bool = True,
) -> list[Block]:
    row = status.consultation
    title = row.title_es if language is Language.ES else row.title_en
    summary = [
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
    blocks: list[Block] = [
        {"type": "header", "text": _plain(f"{row.id} · {title}", 150)},
        {"type": "section", "text": _mrkdwn("\n".join(summary))},
    ]
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
        blocks.append({"type": "section", "text": _mrkdwn(_fit("\n".join(lines)))})
    buttons = _buttons(status, book) if with_buttons else []
    if buttons:
        blocks.append({"type": "actions", "block_id": f"board:{row.id}", "elements": buttons})
    updated = arrow.get(status.now).to(row.timezone).format("YYYY-MM-DD HH:mm")
    blocks.append({"type": "context", "elements": [_mrkdwn(book.updated(when=updated))]})
    return blocks


def _members(
    status: ConsultationStatus, notes: Notes, book: Phrasebook, language: Language
) -> list[Block]:
    lines = []
    named = [(m.name_es if language is Language.ES else m.name_en, m) for m in status.members]
    for name, m in sorted(named, key=lambda pair: _sort_key(pair[0])):
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
    counts: dict[str, int] = {s.value: status.result.count(s) for s in Standing}
    counts["held"] = sum(len(m.held) for m in status.members)
    return [
        {"type": "divider"},
        *_sections(lines),
        {"type": "context", "elements": [_mrkdwn(book.counts(c=counts))]},
    ]


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
    return sorted(found, key=lambda pair: _sort_key(pair[0]))


def _sections(lines: list[str]) -> list[Block]:
    """Lines packed into sections of at most 3,000 characters each (Slack refuses the whole
    message past that), never splitting a line; 11 members with held reasons fit in a few
    sections, far from the 50 blocks a message may hold."""
    sections: list[list[str]] = [[]]
    size = 0
    for line in (_fit(line) for line in lines):
        if sections[-1] and size + 1 + len(line) > _SECTION:
            sections.append([])
            size = 0
        size += len(line) + (1 if sections[-1] else 0)
        sections[-1].append(line)
    return [{"type": "section", "text": _mrkdwn("\n".join(chunk))} for chunk in sections if chunk]


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
        "text": _plain(label, 75),
        "action_id": action_id,
        "value": json.dumps({"c": consultation_id}),
    }
    if primary:
        button["style"] = "primary"
    return button


def _plain(text: str, limit: int) -> Block:
    return {"type": "plain_text", "text": text if len(text) <= limit else text[: limit - 1] + "…"}


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def _fit(text: str) -> str:
    """A section holds 3,000 characters; past that Slack refuses the whole message."""
    return text if len(text) <= _SECTION else text[: _SECTION - 1] + "…"


def _sort_key(name: str) -> str:
    """Alphabetical as a reader expects it: Panamá among the Ps, accents aside."""
    return "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))


def _excerpt(text: str | None, limit: int = _EXCERPT) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
