"""Turn procedure views into what a person reads on the command line, in their language."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import arrow
from jinja2 import Environment

from consultation import held
from consultation.deadlines import render_deadline
from consultation.status import ConsultationStatus, MemberLine
from consultation.vocabulary import Kind, Language, Standing
from store.tables import EventRow

_EXCERPT = 70


def status_text(env: Environment, status: ConsultationStatus, language: Language) -> str:
    return env.get_template(f"cli/status.{language.value}.txt").render(
        **status_context(status, language)
    )


def status_context(status: ConsultationStatus, language: Language) -> dict[str, Any]:
    row = status.consultation
    spanish = language is Language.ES
    deadline = (
        render_deadline(status.deadline, timezone=row.timezone, language=language)
        if status.deadline
        else None
    )
    return {
        "id": row.id,
        "title": row.title_es if spanish else row.title_en,
        "state": row.state,
        "outcome": row.outcome,
        "version": status.version.number,
        "urgent": Kind(row.kind) is Kind.URGENT,
        "days": status.version.days,
        "deadline": deadline,
        "days_left": status.business_days_left,
        "troika_round": row.troika_round,
        "troika": [(r.country, r.status, r.comment) for r in status.troika],
        "projected": status.result.outcome.value,
        "blocking": list(status.result.blocking),
        "members": [_member(m, row.timezone, language) for m in status.members],
        "counts": {s.value: status.result.count(s) for s in Standing},
        "held": sum(len(m.held) for m in status.members),
        "depends": [
            {"name": m.name_es if spanish else m.name_en, "newer": m.held_newer}
            for m in status.members
            if m.code in status.depends_on
        ]
        if row.outcome is None
        else [],
        "amendments": [
            {
                "id": a.id,
                "country": a.country,
                "action": a.action,
                "paragraph": a.paragraph,
                "proposed": _excerpt(a.proposed),
            }
            for a in status.open_amendments
        ],
    }


def _member(m: MemberLine, timezone: str, language: Language) -> dict[str, Any]:
    return {
        "code": m.code,
        "name": m.name_es if language is Language.ES else m.name_en,
        "standing": m.standing.value,
        "answered": _local(m.answered_at, timezone),
        "extension": m.extension_requested,
        "amendments": m.amendments,
        # "newer" may change the recorded position; "earlier" was overtaken by it.
        "held_as": "newer" if m.held_newer else ("earlier" if m.answered_at else "held"),
        "held": [
            {
                "id": h.inbound_id,
                "at": _local(h.received_at, timezone),
                "reason": held.describe(h.reasons, language),
            }
            for h in m.held
        ],
    }


def history_text(
    env: Environment, events: Sequence[EventRow], *, timezone: str, language: Language
) -> str:
    rows = [
        {"at": _local(e.at, timezone), "actor": e.actor, "kind": e.kind, "payload": e.payload}
        for e in events
    ]
    return env.get_template(f"cli/history.{language.value}.txt").render(events=rows)


def _local(instant: datetime | None, timezone: str) -> str:
    return arrow.get(instant).to(timezone).format("YYYY-MM-DD HH:mm") if instant else ""


def _excerpt(text: str | None) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 1] + "…"
