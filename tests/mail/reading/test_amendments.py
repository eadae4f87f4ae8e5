"""Amendments: instructions, pasted revised text, tables, redlines; merging per paragraph."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mail.reading.amendments import Amendment, merge, read_amendments
from mail.reading.body import extract_own
from mail.reading.edits import Edit
from mail.reading.html_text import html_to_text
from tests.mail.reading.factories import DRAFT_EN, DRAFT_ES


def _read(text: str, draft: list[str] = DRAFT_ES, language: str = "es") -> set[Amendment]:
    return set(read_amendments(extract_own(text), draft, language, []).amendments)


def test_phrase_replacement_gives_whole_paragraph() -> None:
    found = _read("Párrafo 3: sustituir «cinco días» por «diez días».")
    assert found == {Amendment("replace", 3, DRAFT_ES[2].replace("cinco días", "diez días"))}


def test_donde_dice_debe_decir_finds_the_paragraph() -> None:
    found = _read("Donde dice “informe anual”, debe decir “informe semestral”.")
    assert found == {Amendment("replace", 6, DRAFT_ES[5].replace("anual", "semestral"))}


def test_insert_after_phrase_and_ordinal_words() -> None:
    found = _read("En el segundo párrafo, después de «migrantes» agregar «y sus familias».")
    expected = DRAFT_ES[1].replace("migrantes,", "migrantes y sus familias,")
    assert found == {Amendment("replace", 2, expected)}


def test_several_changes_to_one_paragraph_merge() -> None:
    found = _read(
        "1. Párrafo 3: sustituir «cinco días» por «diez días».\n"
        "2. En el párrafo 3, eliminar la palabra «permanente».\n"
        "3. Eliminar el párrafo 5.\n"
        "4. Agregar un nuevo párrafo después del 6: «Los países compartirán información.»\n"
    )
    paragraph3 = DRAFT_ES[2].replace("cinco días", "diez días").replace(" permanente", "")
    assert found == {
        Amendment("replace", 3, paragraph3),
        Amendment("delete", 5, None),
        Amendment("insert_after", 6, "Los países compartirán información."),
    }


def test_english_instructions() -> None:
    found = _read(
        "- In para. 3, replace 'five days' with 'ten days'\n"
        "- Paragraph 5 should be deleted.\n"
        '- Insert a new paragraph after paragraph 6: "Member countries will share data."\n'
        '- Add at the end of paragraph 4 "at transit points"',
        DRAFT_EN,
        "en",
    )
    assert found == {
        Amendment("replace", 3, DRAFT_EN[2].replace("five days", "ten days")),
        Amendment("delete", 5, None),
        Amendment("insert_after", 6, "Member countries will share data."),
        Amendment("replace", 4, DRAFT_EN[3][:-1] + " at transit points."),
    }


def test_should_read_followed_by_the_text() -> None:
    new = "We call on international organizations and donors to strengthen cooperation."
    found = _read(f"Paragraph 4 should read:\n\n“{new}”\n\nBest regards,", DRAFT_EN, "en")
    assert found == {Amendment("replace", 4, new)}


def test_nuevo_parrafo_numbered_against_the_original() -> None:
    found = _read("Nuevo párrafo 8: «La PPT informará del seguimiento.»")
    assert found == {Amendment("insert_after", 7, "La PPT informará del seguimiento.")}


def test_amendment_to_a_missing_paragraph_is_reported_not_applied() -> None:
    reading = read_amendments(
        extract_own("Párrafo 99: sustituir «cinco» por «diez»."), DRAFT_ES, "es", []
    )
    assert reading.amendments == ()
    assert "amendment_not_applicable" in reading.reasons
    assert reading.proposed_any


def test_phrase_not_in_the_paragraph_is_reported() -> None:
    reading = read_amendments(
        extract_own("Párrafo 2: sustituir «cinco días» por «diez días»."), DRAFT_ES, "es", []
    )
    assert reading.amendments == ()
    assert "amendment_not_applicable" in reading.reasons


def test_pasted_revised_text_without_numbers() -> None:
    revised = list(DRAFT_ES)
    revised[3] = revised[3].replace("Instamos", "Invitamos")
    del revised[4]
    revised.append(
        "Los países procurarán la coordinación con los sistemas nacionales de protección."
    )
    text = "Proponemos el texto siguiente:\n\n" + "\n\n".join(revised) + "\n\nSaludos cordiales,"
    assert _read(text) == {
        Amendment("replace", 4, revised[3]),
        Amendment("delete", 5, None),
        Amendment("insert_after", 7, revised[-1]),
    }


def test_pasted_revised_text_renumbered() -> None:
    revised = [p for i, p in enumerate(DRAFT_EN) if i != 1]
    revised[1] = revised[1].replace("five", "ten")
    text = "Revised text below.\n\n" + "\n".join(f"{i}. {p}" for i, p in enumerate(revised, 1))
    assert _read(text, DRAFT_EN, "en") == {
        Amendment("delete", 2, None),
        Amendment("replace", 3, DRAFT_EN[2].replace("five", "ten")),
    }


def test_single_pasted_paragraph_quoted_unchanged_is_not_an_amendment() -> None:
    text = f"Sobre el párrafo 5, que dice «{DRAFT_ES[4]}», tenemos dudas."
    assert _read(text) == set()


def test_html_table_of_amendments() -> None:
    html = (
        "<p>Propuestas:</p><table><tr><th>Párrafo</th><th>Texto actual</th><th>Propuesta</th>"
        "</tr><tr><td>3</td><td>cinco días</td><td>diez días</td></tr>"
        "<tr><td>5</td><td></td><td>Eliminar</td></tr></table>"
    )
    found = set(read_amendments(extract_own(html_to_text(html)), DRAFT_ES, "es", []).amendments)
    assert found == {
        Amendment("replace", 3, DRAFT_ES[2].replace("cinco días", "diez días")),
        Amendment("delete", 5, None),
    }


def test_html_redline_of_a_pasted_paragraph() -> None:
    html = (
        "<p>Proponemos:</p><p>Acordamos establecer un canal de comunicación permanente entre las "
        "autoridades migratorias en un plazo máximo de <s>cinco</s> <u>diez</u> días.</p>"
    )
    found = set(read_amendments(extract_own(html_to_text(html)), DRAFT_ES, "es", []).amendments)
    assert found == {Amendment("replace", 3, DRAFT_ES[2].replace("cinco", "diez"))}


def test_interleaved_comment_applies_to_the_quoted_paragraph() -> None:
    text = (
        "Ver comentarios abajo.\n\n> 3. " + DRAFT_ES[2] + "\n\n"
        "Proponemos «diez días» en lugar de «cinco días».\n"
    )
    assert _read(text) == {Amendment("replace", 3, DRAFT_ES[2].replace("cinco", "diez"))}


_EDITS = st.lists(
    st.one_of(
        st.builds(
            Edit,
            op=st.sampled_from(["replace_paragraph", "delete_paragraph", "append"]),
            paragraph=st.integers(min_value=-1, max_value=9),
            new=st.text(alphabet="abc xyz.", min_size=1, max_size=20),
        ),
        st.builds(
            Edit,
            op=st.just("replace_phrase"),
            paragraph=st.one_of(st.none(), st.integers(min_value=1, max_value=7)),
            old=st.sampled_from(["cinco", "anual", "migrantes", "nada"]),
            new=st.text(alphabet="abc xyz", min_size=1, max_size=10),
        ),
        st.builds(
            Edit,
            op=st.just("insert_paragraph"),
            paragraph=st.integers(min_value=-1, max_value=9),
            new=st.text(alphabet="abc xyz.", min_size=1, max_size=20),
        ),
    ),
    max_size=12,
)


@given(_EDITS)
def test_merge_never_gives_two_entries_for_one_paragraph(edits: list[Edit]) -> None:
    amendments, _ = merge(edits, DRAFT_ES)
    changed = [a.paragraph for a in amendments if a.action != "insert_after"]
    assert len(changed) == len(set(changed))
    for amendment in amendments:
        assert 0 <= amendment.paragraph <= len(DRAFT_ES)
        assert (amendment.proposed is None) == (amendment.action == "delete")
        if amendment.action == "replace":
            assert amendment.proposed != DRAFT_ES[amendment.paragraph - 1]


def test_pasting_the_draft_itself_changes_nothing() -> None:
    text = "Texto:\n\n" + "\n\n".join(DRAFT_ES)
    assert _read(text) == set()


def test_insert_with_the_place_before_the_noun() -> None:
    new = "Invitamos a los Países Observadores a sumarse a esta Declaración."
    found = _read(f"Insertar después del párrafo 6 el siguiente párrafo nuevo: «{new}»")
    assert found == {Amendment("insert_after", 6, new)}


def test_new_paragraph_after_without_a_verb() -> None:
    new = "Member Countries will share their national reports with the Network."
    found = _read(f"New paragraph after paragraph 5: \u201c{new}\u201d", DRAFT_EN, "en")
    assert found == {Amendment("insert_after", 5, new)}
    found = _read(f"Nuevo párrafo antes del párrafo 2: «{new}»")
    assert found == {Amendment("insert_after", 1, new)}


def test_delete_this_paragraph_under_a_quoted_one() -> None:
    text = "Comentarios abajo.\n\n> 5. " + DRAFT_ES[4] + "\n\nEliminar este párrafo.\n"
    assert _read(text) == {Amendment("delete", 5, None)}
    text = "See below.\n\n> 4. " + DRAFT_EN[3] + "\n\nThis paragraph should be deleted.\n"
    assert _read(text, DRAFT_EN, "en") == {Amendment("delete", 4, None)}


def test_delete_this_paragraph_with_nothing_quoted_is_no_edit() -> None:
    assert _read("Eliminar este párrafo.") == set()
