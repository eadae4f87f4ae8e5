"""Position and extension rules on small hand-written sentences."""

from __future__ import annotations

import pytest

from mail.reading.position import extension_requested, read_position


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Guatemala no tiene objeciones al proyecto.", "approve"),
        ("Por instrucciones superiores, no tenemos objeción al texto.", "approve"),
        ("Nicaragua no tiene comentarios ni objeciones.", "approve"),
        ("Honduras no se opone al consenso.", "approve"),
        ("México se suma al consenso.", "approve"),
        ("Costa Rica puede acompañarlo.", "approve"),
        ("Damos nuestra conformidad con el texto.", "approve"),
        ("Sin comentarios por parte de Guatemala.", "approve"),
        ("No objection from Canada.", "approve"),
        ("We have no comments or objections.", "approve"),
        ("Belize concurs with the draft.", "approve"),
        ("The United States can support the draft.", "approve"),
        ("We withdraw our objection to the text.", "approve"),
        ("No podemos aprobar el Plan de Trabajo en su forma actual.", "object"),
        ("El Salvador no puede acompañar el texto.", "object"),
        ("No podemos retirar nuestra objeción.", "object"),
        ("Panamá presenta una objeción formal al párrafo 5.", "object"),
        ("The United States must object to the draft.", "object"),
        ("We are not in a position to join consensus on this text.", "object"),
        ("We cannot accept paragraph 5.", "object"),
        ("We do not support the draft.", "object"),
        ("Jamaica breaks silence.", "object"),
        ("Panamá se abstiene respecto del proyecto.", "abstain"),
        ("Honduras toma nota del proyecto y no se pronuncia sobre el mismo.", "abstain"),
        ("Canada abstains.", "abstain"),
        ("Acusamos recibo de la consulta; la estamos revisando.", None),
        ("Could you clarify whether paragraph 3 requires a new platform?", None),
        ("¿Podrían confirmar si no tienen objeciones los demás países?", None),
        ("Thank you for circulating the draft.", None),
    ],
)
def test_position(text: str, expected: str | None) -> None:
    assert read_position(text).position == expected


def test_conditional_consensus_is_not_approval() -> None:
    reading = read_position(
        "Para estar en condiciones de sumarse al consenso, proponemos lo siguiente."
    )
    assert reading.position is None
    assert reading.amend_intent


def test_quoted_words_do_not_count() -> None:
    assert read_position('Sustituir "no objeta" por "aprueba" en el párrafo 2.').position is None


def test_objection_and_approval_is_mixed() -> None:
    reading = read_position(
        "No tenemos objeciones a los párrafos 1 a 6. No podemos aceptar el párrafo 7."
    )
    assert reading.position == "object"
    assert "mixed_signals" in reading.reasons


def test_no_comments_while_reviewing_is_not_approval() -> None:
    reading = read_position("Estamos revisando el texto; por ahora sin comentarios.")
    assert reading.position is None


def test_position_from_subject_only() -> None:
    reading = read_position("", subject="RE: Consulta escrita 2026-014 - Guatemala: sin objeciones")
    assert reading.position == "approve"
    assert "position_from_subject" in reading.reasons


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Solicitamos respetuosamente una prórroga hasta el viernes 20.", True),
        ("We would be grateful if the deadline could be extended by one week.", True),
        ("We kindly request an extension until 25 November.", True),
        ("¿Sería posible ampliar el plazo hasta el 20 de noviembre?", True),
        ("Could we have until 20 November to send our position?", True),
        ("We need more time to consult capitals.", True),
        ("Agradecemos la prórroga concedida.", False),
        ("No necesitamos prórroga: aprobamos el texto.", False),
        ("We extend our thanks to the Presidency.", False),
        ("Guatemala no tiene objeciones.", False),
    ],
)
def test_extension(text: str, expected: bool) -> None:
    assert extension_requested(text) is expected
