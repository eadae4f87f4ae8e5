"""The revision's redline .docx: Word's tracked changes by "CRM PPT", dated with the version;
accepting them all gives the new text, rejecting them all gives the old."""

import datetime as dt
import io
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from consultation.redline import paragraph_changes
from mail.docx_render import REDLINE_AUTHOR, render_redline_docx

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DISTRIBUTED = dt.datetime(2026, 12, 16, 15, 5, tzinfo=dt.UTC)
OLD = [
    "Los países miembros acuerdan cooperar.",
    "Intercambiarán información en un plazo de treinta días.",
    "Se suprime este párrafo.",
    "La Presidencia Pro-Tempore informará.",
]
NEW = [
    "Los países miembros acuerdan cooperar.",
    "Intercambiarán información sobre rutas en un plazo de diez días.",
    "La Presidencia Pro-Tempore informará.",
    "Un párrafo nuevo\ncon un salto de línea.",
]


def redline(old: list[str], new: list[str]) -> bytes:
    return render_redline_docx(
        title="Flujos extracontinentales",
        changes=paragraph_changes(old, new),
        heading_lines=["CRM-2026-001 · cambios de la versión 1 a la 2"],
        language="es",
        dated=DISTRIBUTED,
    )


def body(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return etree.fromstring(package.read("word/document.xml"))


def _text(element: etree._Element, *, accept: bool) -> str:
    out: list[str] = []
    for node in element.iter(f"{W}t", f"{W}delText", f"{W}br"):
        inside = {a.tag for a in node.iterancestors()}
        if accept and node.tag == f"{W}delText":
            continue
        if not accept and f"{W}ins" in inside:
            continue
        out.append("\n" if node.tag == f"{W}br" else node.text or "")
    return "".join(out)


def paragraphs(data: bytes, *, accept: bool) -> list[str]:
    """The numbered paragraphs as Word shows them after "accept all" (or "reject all")."""
    found = []
    for p in body(data).iter(f"{W}p"):
        mark = p.find(f"{W}pPr/{W}rPr")
        dropped = f"{W}del" if accept else f"{W}ins"
        if mark is not None and mark.find(dropped) is not None:
            continue  # its paragraph mark goes too: no empty paragraph is left behind
        found.append(_text(p, accept=accept))
    return found[2:]  # after the title and the heading line


def test_accepting_every_change_gives_the_new_text_and_rejecting_them_the_old() -> None:
    data = redline(OLD, NEW)
    assert paragraphs(data, accept=True) == [f"{n}. {t}" for n, t in enumerate(NEW, 1)]
    assert paragraphs(data, accept=False) == [f"{n}. {t}" for n, t in enumerate(OLD, 1)]


def test_changes_are_by_the_ppt_at_the_version_s_time_with_unique_ids() -> None:
    marks = [m for m in body(redline(OLD, NEW)).iter(f"{W}ins", f"{W}del")]
    assert marks
    assert {m.get(f"{W}author") for m in marks} == {REDLINE_AUTHOR}
    assert {m.get(f"{W}date") for m in marks} == {"2026-12-16T15:05:00Z"}
    ids = [m.get(f"{W}id") for m in marks]
    assert len(ids) == len(set(ids))


def test_word_level_changes_inside_a_kept_paragraph() -> None:
    tree = body(redline(OLD, NEW))
    inserted = ["".join(i.itertext()) for i in tree.iter(f"{W}ins")]
    deleted = ["".join(d.itertext()) for d in tree.iter(f"{W}del")]
    assert any("diez" in text for text in inserted)
    assert any("treinta" in text for text in deleted)
    assert any(text == "Se suprime este párrafo." for text in deleted)


def test_dated_like_the_clean_document() -> None:
    with zipfile.ZipFile(io.BytesIO(redline(OLD, NEW))) as package:
        core = package.read("docProps/core.xml").decode()
        times = {info.date_time for info in package.infolist()}
    assert core.count(">2026-12-16T15:05:00Z<") == 2
    assert times == {(2026, 12, 16, 15, 5, 0)}


WORDS = st.lists(st.sampled_from(["uno", "dos", "tres", "cuatro", "cinco", "seis"]), max_size=5)
PARAGRAPHS = st.lists(WORDS.map(" ".join).filter(bool), max_size=5)


@settings(max_examples=40, deadline=None)
@given(old=PARAGRAPHS, new=PARAGRAPHS)
def test_any_revision_accepts_to_the_new_text_and_rejects_to_the_old(
    old: list[str], new: list[str]
) -> None:
    data = redline(old, new)
    assert paragraphs(data, accept=True) == [f"{n}. {t}" for n, t in enumerate(new, 1)]
    assert paragraphs(data, accept=False) == [f"{n}. {t}" for n, t in enumerate(old, 1)]


def _with_their_change(data: bytes, paragraph_text: str, inserted: str, author: str) -> bytes:
    """The redline as a focal point returns it: one more tracked insertion, by them, appended
    to the paragraph that contains ``paragraph_text``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(source.read("word/document.xml"))
    target = next(p for p in root.iter(f"{W}p") if paragraph_text in "".join(p.itertext()))
    ins = etree.SubElement(target, f"{W}ins", {f"{W}id": "900", f"{W}author": author})
    run = etree.SubElement(ins, f"{W}r")
    etree.SubElement(run, f"{W}t").text = inserted
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "word/document.xml":
                content = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            package.writestr(item, content)
    return out.getvalue()


def test_our_own_tracked_changes_read_as_accepted_and_theirs_as_marks() -> None:
    """A focal point who answers on our redline leaves our changes in it: the reader takes the
    version they answer (ours accepted) and marks only what they changed."""
    from mail.reading.docx_changes import paragraphs as read_paragraphs
    from mail.reading.normal import INS_CLOSE, INS_OPEN

    returned = _with_their_change(
        redline(OLD, NEW), "Intercambiarán", " y de forma segura", "Ministerio RREE"
    )
    texts = [p.text for p in read_paragraphs(returned)]
    marked = [t for t in texts if INS_OPEN in t or "[-" in t]
    assert marked == [
        f"2. Intercambiarán información sobre rutas en un plazo de diez días.{INS_OPEN} y de "
        f"forma segura{INS_CLOSE}"
    ]
    assert not any("Se suprime este párrafo" in t for t in texts)  # our deletion, accepted
    assert any("Un párrafo nuevo" in t for t in texts)  # our insertion, plain text
