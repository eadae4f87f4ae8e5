"""Spanish or English, from the sender's words."""

from __future__ import annotations

from mail.reading.language import detect, from_header


def test_spanish_and_english() -> None:
    assert detect("Guatemala no tiene objeciones al proyecto de Declaración.") == "es"
    assert detect("No objection from Canada to the draft Joint Declaration.") == "en"


def test_bilingual_french_signature_does_not_turn_english_into_spanish() -> None:
    text = (
        "No objection from Canada to the draft.\n\nConseillère principale en politiques, "
        "Direction des politiques sur les migrations et les réfugiés"
    )
    assert detect(text) == "en"


def test_fallbacks() -> None:
    assert detect("", "", fallback="en") == "en"
    assert detect("OK", "RE: Consulta escrita sobre el proyecto", fallback="en") == "es"
    assert from_header("es-GT, en-US") == "es"
    assert from_header("pt-BR") is None
