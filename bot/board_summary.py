"""The status message's members part for a body too large to list country by country.

Eleven members fit one line each; 193 do not (40 of them filled Slack's 3,000-character section
and the rest were cut without a word). Past ``MEMBERS_BUDGET`` characters the board says the
counts by position first, then names the countries that need the PPT's attention (objecting,
held for review, amending, pending near the deadline, silent, asking for time, unreachable) and
leaves the others as counts; the whole board, country by country, is in the web console.
"""

import unicodedata
from collections.abc import Callable

from bot.blocks import Block, named, packed, section
from bot.texts import Phrasebook, escape
from consultation.status import ConsultationStatus, MemberLine
from consultation.vocabulary import Language, Standing, State

# Characters the members' part of a status message may use (of the 10,000 a message may hold).
MEMBERS_BUDGET = 6000
_NEAR = 1  # business days left at which pending countries are named


def attention(
    status: ConsultationStatus,
    book: Phrasebook,
    language: Language,
    bouncing: set[str],
    away: set[str],
) -> list[Block]:
    """Counts first, then one line per kind of attention, names within the budget."""
    members = status.members
    counts: dict[str, int] = {s.value: status.result.count(s) for s in Standing}
    counts["held"] = sum(len(m.held) for m in members)
    lead = f"{book.members_total(n=len(members))} {book.counts(c=counts)}"
    groups = _groups(status, bouncing, away)
    lines = []
    share = max(300, (MEMBERS_BUDGET - len(lead)) // max(1, len(groups)) - 60)
    for phrase, found in groups:
        names = sorted((_name(m, language) for m in found), key=sort_key)
        more: Callable[[int], str] = lambda n: book.and_more(n=n)  # noqa: E731
        lines.append(
            getattr(book, phrase)(n=len(names), names=named(names, budget=share, more=more))
        )
    body = packed(lines, budget=MEMBERS_BUDGET - len(lead), more=lambda n: book.and_more(n=n))
    return [{"type": "divider"}, section(lead), *body]


def _groups(
    status: ConsultationStatus, bouncing: set[str], away: set[str]
) -> list[tuple[str, list[MemberLine]]]:
    def having(standing: Standing) -> list[MemberLine]:
        return [m for m in status.members if m.standing is standing]

    near = (
        status.state is State.CONSULTING
        and status.business_days_left is not None
        and status.business_days_left <= _NEAR
    )
    found = [
        ("attention_object", having(Standing.OBJECT)),
        ("attention_held", [m for m in status.members if m.held]),
        ("attention_amend", having(Standing.AMEND)),
        ("attention_pending", having(Standing.PENDING) if near else []),
        ("attention_silent", having(Standing.SILENT)),
        ("attention_time", [m for m in status.members if m.extension_requested]),
        ("attention_bouncing", [m for m in status.members if m.code in bouncing]),
        ("attention_away", [m for m in status.members if m.code in away]),
    ]
    return [(phrase, members) for phrase, members in found if members]


def _name(member: MemberLine, language: Language) -> str:
    return f"*{escape(member.name_es if language is Language.ES else member.name_en)}*"


def sort_key(name: str) -> str:
    """Alphabetical as a reader expects it: Panamá among the Ps, accents and marks aside."""
    return "".join(
        c for c in unicodedata.normalize("NFD", name.strip("*")) if not unicodedata.combining(c)
    )
