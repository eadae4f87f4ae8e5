"""One fan-out's shared work: a version's notice rendered once per language, then personalised.

A draft goes to two focal points of each of 193 members, and only the greeting, the country
named, the reader's deadline (in their zone) and the reply token differ. So the templates, the
HTML and the .docx are rendered once for each notice kind, version and language, with a marker
where each personal value goes; each reader's copy replaces the markers (escaped as the place
they stand in escapes: the intro by `mail.html_body`, the layout by Jinja2) and shares the
attachments' MIME parts, which nothing mutates once built.

A cache lives for one drain of the outbox: a version's text never changes, and its deadline is
part of the key, so an extension during a drain renders anew.
"""

import html
import json
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from markupsafe import escape

from consultation.vocabulary import Language
from store.tables import ConsultationRow, CountryRow, VersionRow

# Private-use characters: no template, filter or escaping changes them, no text contains them.
_MARK = "\ue000{}\ue001"
PERSONAL = ("recipient", "country_name", "deadline")
# The layout shows the deadline again, escaped by Jinja2 rather than by the intro's converter.
LAYOUT_DEADLINE = _MARK.format("layout_deadline")
# A value with any of these could change the intro's structure in HTML (``code``, lines):
# such a reader's notice is rendered whole, the slow way.
_STRUCTURAL = ("`", "\n", "\r")


def marker(name: str) -> str:
    return _MARK.format(name)


@dataclass(frozen=True)
class Rendered:
    """A notice's words with markers where personal values go, and its attachments."""

    subject: str
    text: str
    html: str
    attachments: tuple[EmailMessage, ...]

    def personalised(self, values: dict[str, str]) -> tuple[str, str]:
        """The plain text and the HTML for one reader."""
        text, page = self.text, self.html
        for name in PERSONAL:
            value = values[name]
            text = text.replace(marker(name), value)
            page = page.replace(marker(name), html.escape(value))
        text = text.replace(LAYOUT_DEADLINE, values["deadline"])
        page = page.replace(LAYOUT_DEADLINE, str(escape(values["deadline"])))
        return text, page


@dataclass
class Fanout:
    """What one drain renders once and reuses: notices by version and language, and the
    countries' names (a notice names them; the roster does not change within a drain)."""

    rendered: dict[tuple[Any, ...], Rendered] = field(default_factory=dict)
    countries: list[CountryRow] | None = None


def cacheable(values: dict[str, str]) -> bool:
    return not any(c in v for v in values.values() for c in _STRUCTURAL)


def key(
    kind: str,
    consultation: ConsultationRow,
    version: VersionRow,
    language: Language,
    payload: dict[str, Any],
    *,
    has_country: bool,
) -> tuple[Any, ...]:
    """Everything a notice's shared words depend on; the delivery bookkeeping left out."""
    shared = {k: v for k, v in payload.items() if k != "delivered_to"}
    return (
        kind,
        consultation.id,
        consultation.title_es,
        consultation.title_en,
        consultation.kind,
        consultation.silence_rule,
        consultation.troika_round,
        consultation.ppt_country,
        version.number,
        version.deadline_at,
        language,
        json.dumps(shared, sort_keys=True, default=str),
        has_country,
    )
