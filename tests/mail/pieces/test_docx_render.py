"""The .docx attachment: numbered paragraphs, language, tracked changes on, same bytes each time."""

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Literal

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from consultation.redline import paragraph_changes
from mail.docx_render import BOOKMARK_PREFIX, _render, render_docx, render_redline_docx

# A version's distribution time: 9 December 2026, 10:30 in Mexico City.
DISTRIBUTED = dt.datetime(2026, 12, 9, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=-6)))

PARAGRAPHS = (
    "Los Estados miembros acuerdan cooperar en materia de migración.",
    "La Presidencia Pro Tempore convocará una reunión <script>alert(1)</script> & más.",
    "Se adopta el plan de trabajo 2026–2027.",
)


def make_docx(
    *,
    title: str = "Declaración sobre movilidad laboral",
    paragraphs: Sequence[str] = PARAGRAPHS,
    heading_lines: Sequence[str] = ("CRM-2026-007 v2", "Plazo: 2 de diciembre de 2026"),
    language: Literal["es", "en"] = "es",
) -> bytes:
    return render_docx(
        title=title,
        paragraphs=paragraphs,
        heading_lines=heading_lines,
        language=language,
        dated=DISTRIBUTED,
    )


def open_docx(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def default_lang(document: DocxDocument) -> str | None:
    lang = document.styles.element.find(
        "/".join(qn(t) for t in ("w:docDefaults", "w:rPrDefault", "w:rPr", "w:lang"))
    )
    return None if lang is None else lang.get(qn("w:val"))


def test_title_heading_lines_and_numbered_paragraphs() -> None:
    document = open_docx(make_docx())
    texts = [p.text for p in document.paragraphs]
    assert texts == [
        "Declaración sobre movilidad laboral",
        "CRM-2026-007 v2",
        "Plazo: 2 de diciembre de 2026",
        *(f"{n}. {text}" for n, text in enumerate(PARAGRAPHS, start=1)),
    ]
    assert document.paragraphs[0].style is not None
    assert document.paragraphs[0].style.name == "Title"


def test_each_numbered_paragraph_is_its_own_word_paragraph_with_a_bookmark() -> None:
    document = open_docx(make_docx(heading_lines=()))
    numbered = document.paragraphs[1:]
    assert len(numbered) == len(PARAGRAPHS)
    for number, paragraph in enumerate(numbered, start=1):
        names = [b.get(qn("w:name")) for b in paragraph._p.findall(qn("w:bookmarkStart"))]
        assert names == [f"{BOOKMARK_PREFIX}{number}"]
        assert paragraph.runs[0].text == f"{number}. "


def test_no_heading_lines_by_default() -> None:
    data = render_docx(title="T", paragraphs=["uno"], language="en", dated=DISTRIBUTED)
    assert [p.text for p in open_docx(data).paragraphs] == ["T", "1. uno"]


def test_language_spanish() -> None:
    document = open_docx(make_docx(language="es"))
    assert default_lang(document) == "es-ES"
    assert document.core_properties.language == "es-ES"


def test_language_english() -> None:
    document = open_docx(make_docx(language="en"))
    assert default_lang(document) == "en-US"
    assert document.core_properties.language == "en-US"


def test_track_changes_is_on_when_opened() -> None:
    settings_xml = open_docx(make_docx()).settings.element
    assert settings_xml.find(qn("w:trackRevisions")) is not None


def test_same_input_same_bytes() -> None:
    assert make_docx() == make_docx()


def test_renders_share_the_template_and_leave_it_as_it_was() -> None:
    """Every render fills a copy of one prepared template: nothing of one document (its
    paragraphs, title, language, redline marks) may reach the next."""
    first = make_docx()
    _render.cache_clear()  # render again, not from the cache of finished documents
    make_docx(title="Otra", paragraphs=["x" * 5000] * 40, language="es")
    make_docx(language="en")
    render_redline_docx(
        title="Cambios",
        changes=paragraph_changes(["uno"], ["uno y dos"]),
        language="es",
        dated=DISTRIBUTED,
    )
    _render.cache_clear()
    assert make_docx() == first
    document = open_docx(make_docx(title="Solo", paragraphs=["uno"], heading_lines=()))
    assert [p.text for p in document.paragraphs] == ["Solo", "1. uno"]


def test_no_word_2010_copy_of_the_style_sheet() -> None:
    """python-docx's template carries stylesWithEffects.xml (440 KB), read by Word 2010 alone,
    which falls back to styles.xml without it."""
    with zipfile.ZipFile(io.BytesIO(make_docx())) as package:
        names = package.namelist()
        listed = package.read("[Content_Types].xml") + package.read("word/_rels/document.xml.rels")
    assert "word/styles.xml" in names and not any("stylesWithEffects" in n for n in names)
    assert b"stylesWithEffects" not in listed
    assert len(make_docx()) < 30_000


def test_zip_members_carry_the_version_s_date_in_utc() -> None:
    with zipfile.ZipFile(io.BytesIO(make_docx())) as package:
        assert {info.date_time for info in package.infolist()} == {(2026, 12, 9, 16, 30, 0)}
        assert package.testzip() is None


def test_core_properties_carry_the_title_and_the_version_s_date() -> None:
    props = open_docx(make_docx()).core_properties
    assert props.title == "Declaración sobre movilidad laboral"
    assert props.created == props.modified == DISTRIBUTED
    with zipfile.ZipFile(io.BytesIO(make_docx())) as package:
        core = package.read("docProps/core.xml").decode()
    assert core.count(">2026-12-09T16:30:00Z<") == 2  # created and modified, in UTC
    assert props.author == "consulta"


def test_a_naive_date_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        render_docx(title="T", paragraphs=["uno"], language="es", dated=dt.datetime(2026, 12, 9))


def test_different_text_different_bytes() -> None:
    assert make_docx() != make_docx(paragraphs=[*PARAGRAPHS[:2], "Otro texto."])


def test_word_line_break_and_control_characters() -> None:
    data = make_docx(paragraphs=["primera\x0bsegunda\r\ntercera\x00\x07 fin"], heading_lines=())
    assert open_docx(data).paragraphs[1].text == "1. primera\nsegunda\ntercera fin"


def test_markup_and_accents_are_text() -> None:
    texts = [p.text for p in open_docx(make_docx()).paragraphs]
    assert (
        "2. La Presidencia Pro Tempore convocará una reunión <script>alert(1)</script> & más."
        in texts
    )


def test_empty_text_gives_title_only() -> None:
    assert [p.text for p in open_docx(make_docx(paragraphs=(), heading_lines=())).paragraphs] == [
        "Declaración sobre movilidad laboral"
    ]


XML_TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")
    | st.sampled_from("\n\t"),
    max_size=40,
)


@settings(max_examples=25, deadline=None)
@given(paragraphs=st.lists(XML_TEXT, max_size=6), language=st.sampled_from(["es", "en"]))
def test_any_text_round_trips(paragraphs: list[str], language: Literal["es", "en"]) -> None:
    data = render_docx(title="T", paragraphs=paragraphs, language=language, dated=DISTRIBUTED)
    texts = [p.text for p in open_docx(data).paragraphs]
    assert texts[1:] == [f"{n}. {text}" for n, text in enumerate(paragraphs, start=1)]
