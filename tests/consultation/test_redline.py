"""Paragraph alignment, word changes inside paragraphs, and the text and HTML redlines."""

import re
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consultation.redline import (
    DEL_STYLE,
    INS_STYLE,
    ChangeKind,
    ParagraphChange,
    paragraph_changes,
    redline_html,
    redline_text,
    word_changes,
)

V1 = [
    "Los Estados miembros acuerdan cooperar.",
    "Párrafo dos que se elimina por completo.",
    "Tercer párrafo con un texto breve.",
    "Cuarto igual.",
]
V2 = [
    "Los Estados miembros acuerdan cooperar.",
    "Tercer párrafo con texto revisado, breve.",
    "Nuevo párrafo insertado aquí sin relación.",
    "Cuarto igual.",
]


def apply_changes(old: Sequence[str], changes: Sequence[ParagraphChange]) -> list[str]:
    """Rebuild the new version from the old one and the changes, checking the old side as we go."""
    rebuilt: list[str] = []
    next_old = 1
    for change in changes:
        if change.old_number is not None:
            assert change.old_number == next_old
            assert change.old_text == old[next_old - 1]
            next_old += 1
        if change.kind is ChangeKind.UNCHANGED:
            assert change.old_text is not None and change.new_text == change.old_text
            rebuilt.append(change.old_text)
        elif change.kind is ChangeKind.MODIFIED:
            kept = "".join(w.text for w in change.words if w.op != "insert")
            assert kept == change.old_text
            rebuilt.append("".join(w.text for w in change.words if w.op != "delete"))
        elif change.kind is ChangeKind.INSERTED:
            assert change.new_text is not None
            rebuilt.append(change.new_text)
    assert next_old == len(old) + 1
    return rebuilt


def test_alignment_of_a_revision() -> None:
    changes = paragraph_changes(V1, V2)
    assert [(c.kind, c.old_number, c.new_number) for c in changes] == [
        (ChangeKind.UNCHANGED, 1, 1),
        (ChangeKind.DELETED, 2, None),
        (ChangeKind.MODIFIED, 3, 2),
        (ChangeKind.INSERTED, None, 3),
        (ChangeKind.UNCHANGED, 4, 4),
    ]


def test_same_text_is_all_unchanged() -> None:
    changes = paragraph_changes(V1, V1)
    assert all(c.kind is ChangeKind.UNCHANGED for c in changes)
    assert "[+" not in redline_text(changes, language="en").split("\n", 1)[1]
    assert "<ins" not in redline_html(changes, language="en").split("</p>", 1)[1]


def test_empty_versions() -> None:
    assert paragraph_changes([], []) == []
    assert [c.kind for c in paragraph_changes([], ["a"])] == [ChangeKind.INSERTED]
    assert [c.kind for c in paragraph_changes(["a"], [])] == [ChangeKind.DELETED]


def test_unrelated_paragraphs_are_deleted_and_inserted_not_modified() -> None:
    changes = paragraph_changes(["El gato duerme."], ["Se convoca a reunión extraordinaria."])
    assert [c.kind for c in changes] == [ChangeKind.DELETED, ChangeKind.INSERTED]


def test_word_changes_replace_one_word() -> None:
    assert [(w.op, w.text) for w in word_changes("the cat sat", "the dog sat")] == [
        ("equal", "the "),
        ("delete", "cat"),
        ("insert", "dog"),
        ("equal", " sat"),
    ]


def test_word_changes_punctuation_is_its_own_change() -> None:
    ops = word_changes("acuerdan cooperar.", "acuerdan cooperar;")
    assert [(w.op, w.text) for w in ops] == [
        ("equal", "acuerdan cooperar"),
        ("delete", "."),
        ("insert", ";"),
    ]


def test_text_redline() -> None:
    text = redline_text(paragraph_changes(V1, V2), language="en")
    assert text == (
        "Legend: [+inserted text+] [-deleted text-]\n\n"
        "1. Los Estados miembros acuerdan cooperar.\n\n"
        "(was 2) [-Párrafo dos que se elimina por completo.-]\n\n"
        "2. (was 3) Tercer párrafo con[- un-] texto[+ revisado,+] breve.\n\n"
        "3. (new) [+Nuevo párrafo insertado aquí sin relación.+]\n\n"
        "4. Cuarto igual.\n"
    )


def test_text_legend_in_spanish() -> None:
    text = redline_text(paragraph_changes(V1, V2), language="es")
    assert text.startswith("Leyenda: [+texto añadido+] [-texto suprimido-]\n")
    assert "(antes 2)" in text and "(nuevo)" in text


def test_html_marks_changes_with_inline_styles() -> None:
    page = redline_html(paragraph_changes(V1, V2), language="en")
    assert f'<del style="{DEL_STYLE}">Párrafo dos que se elimina por completo.</del>' in page
    assert f'<ins style="{INS_STYLE}">Nuevo párrafo insertado aquí sin relación.</ins>' in page
    assert f'<del style="{DEL_STYLE}"> un</del>' in page
    assert "<style" not in page
    assert INS_STYLE == "color:#1a7f37;text-decoration:underline"
    assert DEL_STYLE == "color:#b42318;text-decoration:line-through"


def test_html_every_ins_and_del_is_styled() -> None:
    page = redline_html(paragraph_changes(V1, V2), language="es")
    assert re.findall(r"<ins(?: [^>]*)?>", page) == [f'<ins style="{INS_STYLE}">'] * 3
    assert re.findall(r"<del(?: [^>]*)?>", page) == [f'<del style="{DEL_STYLE}">'] * 3


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["texto"], ["<script>alert('x')</script> texto"]),  # inserted words
        (["<script>alert('x')</script>"], []),  # deleted paragraph
        ([], ['<img src=x onerror="alert(1)">']),  # inserted paragraph
        (["<b>uno</b> & dos"], ["<b>uno</b> & dos"]),  # unchanged
    ],
)
def test_html_escapes_paragraph_text(old: list[str], new: list[str]) -> None:
    page = redline_html(paragraph_changes(old, new), language="en")
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;" in page


def test_html_keeps_accents_and_escapes_ampersand() -> None:
    page = redline_html(paragraph_changes(["Migración"], ["Migración & movilidad"]), language="es")
    assert "Migración" in page
    assert "&amp; movilidad" in page


def test_html_soft_line_break() -> None:
    page = redline_html(paragraph_changes([], ["uno\ndos"]), language="en")
    assert "uno<br>dos" in page


def test_numbers_show_old_number_only_where_it_differs() -> None:
    changes = paragraph_changes(["a", "b c d", "e"], ["x y z w", "a", "b c d", "e"])
    labels = [line.split(" ", 2)[:2] for line in redline_text(changes, language="en").split("\n\n")]
    assert labels[1:] == [["1.", "(new)"], ["2.", "(was"], ["3.", "(was"], ["4.", "(was"]]
    same = redline_text(paragraph_changes(["a", "b c d"], ["a", "b c e"]), language="en")
    assert "(was" not in same


# Paragraph texts for the properties: a small vocabulary, so versions share many paragraphs and
# words, plus free text for the odd characters.
WORDS = st.sampled_from(["la", "CRM", "acuerda", "migración", "y", "de", ",", ".", "  ", "ñ"])
PARAGRAPH = st.lists(WORDS, max_size=8).map(" ".join) | st.text(max_size=12)
VERSION = st.lists(PARAGRAPH, max_size=8)


@given(old=VERSION, new=VERSION)
def test_applying_the_changes_to_old_gives_new(old: list[str], new: list[str]) -> None:
    assert apply_changes(old, paragraph_changes(old, new)) == new


@given(old=PARAGRAPH, new=PARAGRAPH)
def test_word_changes_spell_both_versions(old: str, new: str) -> None:
    ops = word_changes(old, new)
    assert "".join(w.text for w in ops if w.op != "insert") == old
    assert "".join(w.text for w in ops if w.op != "delete") == new
    assert all(w.text for w in ops)
    assert all(a.op != b.op for a, b in zip(ops, ops[1:], strict=False))


@given(old=VERSION, new=VERSION)
def test_new_numbers_run_in_order(old: list[str], new: list[str]) -> None:
    numbers = [c.new_number for c in paragraph_changes(old, new) if c.new_number is not None]
    assert numbers == list(range(1, len(new) + 1))


# The text redline uses wdiff's markers; like wdiff's, they are only unambiguous when the text
# itself has no square brackets. Newlines and parentheses are left out so blocks and labels split.
MARKER_FREE = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="[]()")
    | st.sampled_from(["+", "-", " ", "1", ".", "é"]),
    max_size=15,
)
MARKER_FREE_VERSION = st.lists(
    st.lists(st.sampled_from(["la", "CRM", "acuerda", "-", "+", ".", " "]), max_size=6).map("".join)
    | MARKER_FREE,
    max_size=6,
)
LABEL = re.compile(r"(?:\d+\. )?(?:\((?:was \d+|new)\) )?")
INSERTED = re.compile(r"\[\+(.*?)\+\]", re.DOTALL)
DELETED = re.compile(r"\[-(.*?)-\]", re.DOTALL)


def read_back(text: str) -> tuple[list[str], list[str]]:
    """(old, new) paragraphs from a text redline: drop one side's markers, unwrap the other."""
    legend, *blocks = text.removesuffix("\n").split("\n\n")
    assert legend.startswith("Legend:")
    old, new = [], []
    for block in blocks:
        label = LABEL.match(block)
        assert label is not None
        body = block[label.end() :]
        if not label.group().startswith("("):  # a new number: the paragraph is in the new text
            new.append(INSERTED.sub(r"\1", DELETED.sub("", body)))
        if "(new)" not in label.group():
            old.append(DELETED.sub(r"\1", INSERTED.sub("", body)))
    return old, new


@given(old=MARKER_FREE_VERSION, new=MARKER_FREE_VERSION)
def test_text_redline_reads_back_as_old_and_new(old: list[str], new: list[str]) -> None:
    text = redline_text(paragraph_changes(old, new), language="en")
    assert read_back(text) == (old, new)
