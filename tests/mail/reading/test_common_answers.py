"""Issue #14: common answers are read as a person reads them, Spanish and English."""

import pytest

from mail.reading import read_reply
from mail.reading.courtesy import is_courtesy, without_closing
from tests.mail.reading.factories import DRAFT_EN, DRAFT_ES, make_message

NEW_ES = "Instamos a los organismos internacionales a reforzar la cooperación técnica."
NEW_EN = "We call on international organizations to strengthen technical cooperation."


def read(text: str, draft: list[str] = DRAFT_ES) -> tuple[str | None, bool, bool]:
    reading = read_reply(make_message(text), draft)
    return reading.position, reading.extension_requested, reading.needs_review


@pytest.mark.parametrize(
    "text",
    [
        "De acuerdo.",
        "De acuerdo, gracias.",
        "Estamos de acuerdo.",
        "De acuerdo con el texto.",
        "Conforme.",
        "Conformes.",
        "Estamos conformes.",
        "Estamos conformes con el texto.",
    ],
)
def test_short_spanish_assent_approves(text: str) -> None:
    assert read(text) == ("approve", False, False)


@pytest.mark.parametrize(
    "text", ["Agreed.", "Agreed, thank you.", "Fine with us.", "That's fine with us, thanks."]
)
def test_short_english_assent_approves(text: str) -> None:
    assert read(text, DRAFT_EN) == ("approve", False, False)


@pytest.mark.parametrize(
    ("text", "draft"),
    [
        (
            "De acuerdo con lo dispuesto en nuestra normativa, seguimos revisando el texto.",
            DRAFT_ES,
        ),
        ("Conforme a nuestras reglas internas, le informaremos en breve.", DRAFT_ES),
        ("Agreed to discuss this with our minister next week.", DRAFT_EN),
    ],
)
def test_the_same_words_in_another_sense_do_not_approve(text: str, draft: list[str]) -> None:
    position, _, _ = read(text, draft)
    assert position != "approve"


def test_paragraph_colon_replace_with_es_and_en() -> None:
    """A whole new paragraph (a few words would not look like one: held, as before)."""
    es = read_reply(make_message(f"Párrafo 4: sustituir por: «{NEW_ES}»"), DRAFT_ES)
    en = read_reply(make_message(f'Paragraph 4: replace with: "{NEW_EN}"'), DRAFT_EN)
    assert [(a.action, a.paragraph, a.proposed) for a in es.amendments] == [("replace", 4, NEW_ES)]
    assert [(a.action, a.paragraph, a.proposed) for a in en.amendments] == [("replace", 4, NEW_EN)]
    assert (es.position, en.position, es.needs_review, en.needs_review) == (
        "amend",
        "amend",
        False,
        False,
    )


def test_add_after_paragraph_a_new_paragraph_es_and_en() -> None:
    es = read_reply(
        make_message("agregar después del párrafo 4 un nuevo párrafo: «Se creará un fondo.»"),
        DRAFT_ES,
    )
    en = read_reply(
        make_message('add after paragraph 4 a new paragraph: "A fund will be created."'),
        DRAFT_EN,
    )
    assert [(a.action, a.paragraph, a.proposed) for a in es.amendments] == [
        ("insert_after", 4, "Se creará un fondo.")
    ]
    assert [(a.action, a.paragraph, a.proposed) for a in en.amendments] == [
        ("insert_after", 4, "A fund will be created.")
    ]


# The rule (mail.reading.position): time asked for to consult makes an approval provisional.
@pytest.mark.parametrize(
    ("text", "draft"),
    [
        ("Sí, pero necesitamos dos días más para consultar a la capital.", DRAFT_ES),
        ("Aprobamos, pero necesitamos dos días más para consultar con la capital.", DRAFT_ES),
        ("Yes, but we need two more days to consult the capital.", DRAFT_EN),
        ("We approve, but we need two more days to consult the capital.", DRAFT_EN),
        ("We can support it, but need 2 more days to get instructions.", DRAFT_EN),
    ],
)
def test_yes_but_time_to_consult_is_no_position_and_an_extension(
    text: str, draft: list[str]
) -> None:
    assert read(text, draft) == (None, True, False)


def test_an_objection_with_time_to_consult_stays_an_objection() -> None:
    text = "Guatemala objeta el texto; necesitamos dos días más para consultar a la capital."
    assert read(text)[:2] == ("object", True)


def test_an_approval_with_time_for_another_reason_stays_an_approval() -> None:
    text = "We approve the text. We would need two more days to submit the translation."
    assert read(text, DRAFT_EN)[:2] == ("approve", True)


@pytest.mark.parametrize(
    "text",
    [
        "Muchas gracias por la confirmación.\n\nSaludos cordiales,\nPunto Focal",
        "Gracias",
        "Recibido, gracias.",
        "Thanks!",
        "Noted, thank you.\n\nBest regards,\nJohn Smith",
        "Estimada Ana: muchas gracias por la confirmación.",
    ],
)
def test_courtesies_are_recognised(text: str) -> None:
    assert is_courtesy(text)


@pytest.mark.parametrize(
    "text",
    [
        "Gracias, lo revisaremos con la capital.",
        "Gracias. ¿Cuándo vence el plazo?",
        "Thanks. Canada withdraws its objection and abstains.",
        "Estimados colegas, adjunto nuestra posición.",
    ],
)
def test_anything_more_than_thanks_is_not_a_courtesy(text: str) -> None:
    assert not is_courtesy(text, answers_receipt=True)


def test_quoting_drops_the_closing_line_only_at_the_end() -> None:
    assert without_closing("Saludos a todos. Objetamos.\n\nSaludos cordiales,\n") == (
        "Saludos a todos. Objetamos."
    )
