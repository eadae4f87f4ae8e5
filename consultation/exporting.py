"""The record of a consultation as a page for the ST's archive: HTML or Markdown, es or en."""

from datetime import datetime
from typing import Any, Literal

import arrow
from jinja2 import Environment

from consultation import received
from consultation.deadlines import render_deadline
from consultation.note_facts import describe_note
from consultation.presenting import event_lines
from consultation.record import AnswerEntry, Record, VersionEntry
from consultation.redline import paragraph_changes, redline_html, redline_text
from consultation.texts import Text
from consultation.vocabulary import Language
from consultation.zones import zone_name
from store.tables import AmendmentRow, InboundMessageRow
from templates.markdown import markdown_fragment

Format = Literal["html", "md"]
_EXCERPT = 600  # beside the position; the whole text is in the appendix


def export_record(env: Environment, record: Record, *, fmt: Format, language: Language) -> str:
    context = record_context(env, record, language)
    return env.get_template(f"export/record.{language.value}.{fmt}").render(context)


def record_context(env: Environment, record: Record, language: Language) -> dict[str, Any]:
    row, spanish = record.consultation, language is Language.ES
    names = {c.code: c.name_es if spanish else c.name_en for c in record.members}
    view = _View(row.timezone, language, names)
    versions: list[dict[str, Any]] = []
    previous: list[str] | None = None
    for entry in record.versions:
        paragraphs = _paragraphs(entry, language)
        versions.append(view.version(entry, paragraphs, previous, record))
        previous = paragraphs
    return {
        "id": row.id,
        "title": (row.title_es if spanish else row.title_en) or row.title_es,
        "other_title": row.title_en if spanish else row.title_es,
        "kind": row.kind,
        "silence_rule": row.silence_rule,
        "state": row.state,
        "outcome": row.outcome,
        "ppt": names.get(row.ppt_country, row.ppt_country),
        "calendar": row.calendar,
        "zone": zone_name(row.timezone, language),
        "created_at": view.when(row.created_at),
        "created_by": row.created_by,
        "closed_at": view.when(row.closed_at),
        "troika": [
            {
                "round": r.round,
                "country": names.get(r.country, r.country),
                "status": r.status,
                "comment": r.comment or "",
                "at": view.when(r.answered_at),
                "by": r.answered_by or "",
            }
            for r in record.troika
        ],
        "versions": versions,
        "amendments": [view.amendment(a) for a in record.amendments],
        "messages": [source_message(m, view) for m in record.messages],
        "events": event_lines(
            env, record.events, timezone=row.timezone, language=language, names=names
        ),
    }


class _View:
    """Instants in the PPT's zone, deadlines in words, countries by name."""

    def __init__(self, zone: str, language: Language, names: dict[str, str]) -> None:
        self.zone, self.language, self.names = zone, language, names

    def when(self, instant: datetime | None) -> str:
        return arrow.get(instant).to(self.zone).format("YYYY-MM-DD HH:mm") if instant else ""

    def deadline(self, instant: datetime | None) -> str:
        if instant is None:
            return ""
        return render_deadline(instant, timezone=self.zone, language=self.language)

    def version(
        self,
        entry: VersionEntry,
        paragraphs: list[str],
        previous: list[str] | None,
        record: Record,
    ) -> dict[str, Any]:
        v = entry.version
        changes = paragraph_changes(previous, paragraphs) if previous is not None else []
        tally = entry.tally
        return {
            "number": v.number,
            "distributed_at": self.when(v.distributed_at),
            "first_deadline": self.deadline(entry.first_deadline),
            "deadline": self.deadline(v.deadline_at),
            "days": v.days,
            "note": v.changes_note,
            "paragraphs": paragraphs,
            "redline_html": redline_html(changes, language=self.language.value) if changes else "",
            # Only the Markdown page shows this one: the paragraphs' words escaped for it.
            "redline_markdown": redline_text(
                changes, language=self.language.value, escape=markdown_fragment
            )
            if changes
            else "",
            "extensions": [
                {
                    "at": self.when(e.at),
                    "by": e.actor,
                    "days": e.payload.get("days"),
                    "to": self.deadline(_instant(e.payload.get("deadline"))),
                }
                for e in entry.extensions
            ],
            "tally": {
                "at": self.when(tally.at),
                "outcome": tally.payload.get("outcome"),
                "silent": [self.names.get(c, c) for c in tally.payload.get("silent", [])],
                "blocking": [self.names.get(c, c) for c in tally.payload.get("blocking", [])],
            }
            if tally
            else None,
            "members": [
                {
                    "name": c.name_es if self.language is Language.ES else c.name_en,
                    "standing": entry.standing(c.code),
                    "answers": [self.answer(a) for a in entry.answers.get(c.code, [])],
                }
                for c in record.members
            ],
        }

    def answer(self, entry: AnswerEntry) -> dict[str, Any]:
        p, source = entry.position, entry.source
        return {
            "at": self.when(p.recorded_at),
            "position": p.value,
            "extension": p.extension_requested,
            "by": p.recorded_by,
            "note": p.note or "",
            # The note verbale the answer came in: its number, date and form.
            "note_verbale": describe_note((source.reading or {}).get("note_verbale"), self.language)
            if source
            else "",
            "source": {
                "id": source.id,
                "message_id": source.message_id or "",
                "sender": source.sender or "",
                "received_at": self.when(source.received_at),
            }
            if source
            else None,
            "amendments": [self.amendment(a) for a in entry.amendments],
            # The answer's own words (an objection's reasons) beside its position.
            "own_words": _excerpt(received.own_words(source)) if source else "",
        }

    def amendment(self, a: AmendmentRow) -> dict[str, Any]:
        return {
            "id": a.id,
            "version": a.version,
            "country": self.names.get(a.country, a.country),
            "action": a.action,
            "paragraph": a.paragraph,
            "proposed": a.proposed or "",
            "status": a.status,
        }


def source_message(row: InboundMessageRow, view: "_View") -> dict[str, Any]:
    """A received message as the appendix shows it: its headers and the sender's own words."""
    message = received.parse(row.raw)
    return {
        "id": row.id,
        "received_at": view.when(row.received_at),
        "headers": received.headers(message),
        "own_words": received.own_words(row, message),
        "header_only": row.header_only,
    }


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 1] + "…"


def _paragraphs(entry: VersionEntry, language: Language) -> list[str]:
    v = entry.version
    return list(Text(es=v.paragraphs_es, en=v.paragraphs_en).in_language(language))


def _instant(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
