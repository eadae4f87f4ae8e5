"""No Spanish text a person reads carries an internal code (`answer_recorded`, `mixed_signals`,
`consulting`…). The codes come from the code itself: the procedure's enums, the held reasons, the
event and notice kinds written as ``kind="…"`` in consultation/, mail/ and web/. The texts: every
email the demo's service sends in Spanish (both parts), its digest, record and boards in Spanish;
the CLI's `history`, `status`, `export` and `review` on the demo's database; every sentence of
the CLI's, Slack's and the web console's phrasebooks, with every state, action, position and
outcome; the CLI's errors; the Spanish snapshots. The console's pages and its sign-in email are
checked in tests/web/test_words.py."""

import asyncio
import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jinja2 import UndefinedError
from lxml import html as lxml_html

from consultation import errors, held, review
from consultation.lifecycle import Action
from consultation.timesource import SystemTime
from consultation.vocabulary import (
    AmendmentAction,
    AmendmentStatus,
    CountryStatus,
    Kind,
    Language,
    Outcome,
    PositionValue,
    Role,
    SilenceRule,
    Standing,
    State,
    TroikaStatus,
)
from service.cli import cli, error_lines
from service.context import AppContext
from service.demo import Demo, prepare
from service.settings import DbSettings, Settings
from templates import environment

ROOT = Path(__file__).parents[2]
ENUMS: list[type[StrEnum]] = [
    Role,
    CountryStatus,
    Kind,
    SilenceRule,
    State,
    PositionValue,
    Standing,
    Outcome,
    AmendmentAction,
    AmendmentStatus,
    TroikaStatus,
    held.HoldReason,
    review.Decision,
    Action,
]
# Codes that are also ordinary Spanish words, names or command words a Spanish text may show
# (`consulta troika ID`; "PPT" is the Presidency's usual abbreviation, matched case-sensitively).
NOT_CODES = {"es", "en", "ppt", "st", "troika", "tally"}


def internal_codes() -> set[str]:
    codes = {member.value for enum in ENUMS for member in enum}
    codes |= set(held._SENTENCES)
    for folder in ("consultation", "mail", "web"):
        for path in (ROOT / folder).rglob("*.py"):
            codes |= set(re.findall(r'kind="([a-z_]+)"', path.read_text(encoding="utf-8")))
    codes |= {review.DECIDED, review.SETTLED, review.REVIEW_NOTICE, "email_sent"}
    return codes - NOT_CODES


CODES = internal_codes()
# An address, a Message-ID, a command line or a quotation of what someone wrote («…», "…",
# "> …") is not the service's prose: a code-like word inside one is not read as a code.
_NOT_PROSE = re.compile(
    r"<[^>\s]+>|[\w.+-]+@[\w.-]+|`[^`]*`|consulta (?:--lang \w+ )?[a-z-]+ .*"
    r"|«[^»]*»|“[^”]*”|\"[^\"\n]*\"|^\s*>.*$",
    re.MULTILINE,
)
_WORD = re.compile(r"(?<![\w-])[a-z][a-z_]*[a-z](?![\w-])")


def codes_in(text: str, *, people: bool = False) -> set[str]:
    """The codes in ``text``; where people's own words may stand unquoted (an email that
    carries the PPT's note in English, a record of English-speaking countries' replies), only
    the codes no person writes: those with ``_``."""
    prose = _NOT_PROSE.sub(" ", text)
    found = {word for word in _WORD.findall(prose) if word in CODES}
    return {code for code in found if "_" in code} if people else found


def assert_no_codes(text: str, where: str, *, people: bool = False) -> None:
    found = codes_in(text, people=people)
    assert not found, f"{where} shows internal codes {sorted(found)}"


def test_the_list_of_codes_is_built_from_the_code() -> None:
    assert {"answer_recorded", "mixed_signals", "consulting", "email_sent"} <= CODES
    assert {"review_decided", "held_settled", "insert_after", "dmarc_fail"} <= CODES
    assert codes_in("Guatemala objeta: answer_recorded, position_id") == {"answer_recorded"}
    assert codes_in("<draft.1@crm.example> `consulta troika` consultas+x@crm.example") == set()
    assert codes_in("Canadá escribió: «the draft is approved»") == set()
    assert codes_in("the revised draft, answer_recorded", people=True) == {"answer_recorded"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("demo") / "out"
    prepare(out)
    asyncio.run(Demo(out, Language.ES, echo=False).run())
    yield out


def spanish_parts(path: Path) -> Iterator[str]:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    yield str(message["Subject"])
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            yield str(part.get_content())
        elif part.get_content_type() == "text/html":
            yield lxml_html.fromstring(str(part.get_content())).text_content()


def test_every_spanish_email_the_service_sends(demo: Path) -> None:
    checked = 0
    for path in sorted((demo / "mail").glob("*.eml")):
        raw = path.read_bytes()
        if b"From: Consultas CRM" not in raw or b"Content-Language: es" not in raw:
            continue  # a person's own email, or one in English
        for text in spanish_parts(path):
            assert_no_codes(text, path.name, people=True)
        checked += 1
    assert checked > 50


def test_the_demo_s_digest_record_and_boards_in_spanish(demo: Path) -> None:
    for name in ("status-boards.txt", "history.txt"):
        assert_no_codes((demo / name).read_text(encoding="utf-8"), name)
    for name in ("digest.es.txt", "CRM-2026-001.md"):
        assert_no_codes((demo / name).read_text(encoding="utf-8"), name, people=True)
    for name in ("digest.es.html", "CRM-2026-001.html"):
        page = lxml_html.fromstring((demo / name).read_text(encoding="utf-8"))
        assert_no_codes(page.text_content(), name, people=True)


def test_the_command_line_in_spanish_on_the_demo_s_database(demo: Path) -> None:
    url = f"sqlite+aiosqlite:///{demo / 'consulta.db'}"
    context = AppContext(settings=Settings(db=DbSettings(url=url)), time=SystemTime())

    def spanish(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--lang", "es", *args], obj=context)
        assert result.exit_code == 0, result.output
        return result.output

    for args in (("history", "CRM-2026-001"), ("status", "CRM-2026-001"), ("review", "list")):
        assert_no_codes(spanish(*args), " ".join(args))
    for number in range(1, 30):  # every message the demo received, as `review show` prints it
        shown = CliRunner().invoke(
            cli, ["--lang", "es", "review", "show", str(number)], obj=context
        )
        if shown.exit_code == 0:
            assert_no_codes(shown.output, f"review show {number}", people=True)
            assert "retenci" in shown.output or "No se retuvo para revisión" in shown.output
    markdown = spanish("export", "CRM-2026-001", "--format", "md", "-o", "-")
    assert_no_codes(markdown, "export md", people=True)
    page = spanish("export", "CRM-2026-001", "--format", "html", "-o", "-")
    assert_no_codes(lxml_html.fromstring(page).text_content(), "export html", people=True)


def test_the_spanish_snapshots() -> None:
    for path in sorted((ROOT / "tests" / "snapshots").glob("*.es.*")):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            text = lxml_html.fromstring(text).text_content()
        assert_no_codes(text, path.name)


# Sample values for a phrase's parameters, by name: each code-valued parameter takes every code
# its vocabulary has, so that a phrase's table of words is checked to be whole.
SAMPLES: dict[str, list[Any]] = {
    "state": [s.value for s in State],
    "action": [a.value for a in Action],
    "position": [p.value for p in PositionValue],
    "standing": [s.value for s in Standing],
    "outcome": [o.value for o in Outcome],
    "decision": [*(d.value for d in review.Decision), "settled"],
    "status": [s.value for s in TroikaStatus],
}
PLAIN: dict[str, Any] = {"everything": True, "extension": False, "amendments": 2}


def phrase_samples(names: list[str]) -> Iterator[dict[str, Any]]:
    base = {n: PLAIN.get(n, 2 if n in _NUMBERS else "Guatemala") for n in names}
    yield base
    for name in names:
        for value in SAMPLES.get(name, []):
            yield base | {name: value}


_NUMBERS = {"number", "count", "settled", "paragraphs", "paragraph", "version", "round", "days"}
_NUMBERS |= {"given", "current", "n", "left", "total", "answered", "members"}


@pytest.mark.parametrize(
    "book",
    ["cli/phrases.es.txt", "slack/phrases.es.txt", "web/phrases.es.html", "web/pages.es.html"],
)
def test_every_sentence_of_the_phrasebooks(book: str) -> None:
    module = environment().get_template(book).module
    rendered = 0
    for name in dir(module):
        macro = getattr(module, name)
        if name.startswith("_") or not hasattr(macro, "arguments"):
            continue
        for values in phrase_samples(list(macro.arguments)):
            try:
                text = str(macro(**values))
            except (TypeError, KeyError, AttributeError, ValueError, UndefinedError):
                continue  # a parameter that wants a structure, not a word: rendered elsewhere
            assert_no_codes(text, f"{book}:{name}({values})")
            rendered += 1
    assert rendered > 40


def test_the_command_line_s_errors_in_spanish() -> None:
    raised: list[errors.ConsultaError] = [
        *(
            errors.IllegalTransition("x", state=s.value, action=a.value)
            for s in State
            for a in Action
        ),
        errors.SupersededVersion("x", given=1, current=2),
        errors.NotFound("x", phrase="no_consultation", id="CRM-2026-404"),
        review.AlreadyDecided("x", phrase="already_decided", number=3),
        errors.InvalidInput("x", phrase="no_paragraph", paragraph=9, paragraphs=4),
        errors.InvalidInput("an English detail_with_code nobody translated"),
        errors.OperationalError("database_down"),
    ]
    for error in raised:
        for line in error_lines(error, Language.ES):
            assert_no_codes(line, repr(error))
            assert "English" not in line
