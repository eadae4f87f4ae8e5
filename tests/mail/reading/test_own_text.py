"""The sender's own words in every client layout of the own-text corpus (issue #16), and the
corpus is what its generator writes."""

from __future__ import annotations

import pytest

from tests.fixtures.replies import own_text
from tests.fixtures.replies.own_scoring import FOLDER, load, normal, ours, right

LABELS = load()

# Issue #16's families, each present in the corpus.
FAMILIES = {
    "outlook-es",
    "outlook-en",
    "outlook-pt",
    "outlook-fr",
    "outlook-other-languages",
    "original-message-separators",
    "gmail-wrapped-attribution",
    "date-only-attribution",
    "attribution-other-languages",
    "forwarded-block",
    "apple-mail",
    "thunderbird",
    "mobile-signature",
    "real-sentence-kept",
    "malformed-mime",
}


@pytest.mark.parametrize("name", sorted(LABELS))
def test_own_text_is_what_a_person_reads(name: str) -> None:
    label = LABELS[name]
    got = ours((FOLDER / name).read_bytes())
    assert right(got, label["own"]), f"{name} ({label['note']}):\n{normal(got)!r}"


def test_the_corpus_covers_every_family() -> None:
    assert {label["family"] for label in LABELS.values()} == FAMILIES


def test_committed_own_text_corpus_is_what_the_generator_writes() -> None:
    messages, labels = own_text.built()
    assert (FOLDER / "labels.json").read_bytes() == labels
    assert {p.name: p.read_bytes() for p in FOLDER.glob("*.eml")} == messages


def test_scoring_tells_a_leak_from_a_stray_blank() -> None:
    own = "Guatemala aprueba el texto sin comentarios.\n\nSaludos cordiales,\nAna Pérez"
    assert right(own.replace("\n\n", "\n"), own)
    assert not right(own + "\n\nDe: Presidencia Pro Tempore\nEnviado el: lunes", own)
    assert not right("Saludos cordiales,\nAna Pérez", own)
