"""A notice's plain text becomes HTML with its structure: paragraphs, lines, lists, commands."""

from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html

from mail.html_body import text_to_html


def tree(text: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(text_to_html(text), create_parent="div")


def test_a_heading_line_then_bullets_is_a_paragraph_then_a_list() -> None:
    page = tree("Posiciones:\n- Belice: aprueba\n- Canadá: objeta\n\nFin.")
    assert [e.tag for e in page] == ["p", "ul", "p"]
    assert [li.text_content() for li in page.findall("ul/li")] == [
        "Belice: aprueba",
        "Canadá: objeta",
    ]


def test_lines_of_one_paragraph_keep_their_breaks() -> None:
    page = tree("Destinatario: Ana.\nMensaje: borrador.\nMotivo: buzón lleno.")
    (paragraph,) = page.findall("p")
    assert len(paragraph.findall("br")) == 2


def test_numbered_lines_are_an_ordered_list_that_keeps_its_first_number() -> None:
    page = tree("Pasos:\n3. uno\n4. dos")
    (ordered,) = page.findall("ol")
    assert ordered.get("start") == "3"
    assert [li.text for li in ordered.findall("li")] == ["uno", "dos"]


def test_a_lone_numbered_line_is_a_sentence() -> None:
    page = tree("2026. Un año de trabajo.")
    assert page.findall("ol") == [] and page.findtext("p") == "2026. Un año de trabajo."


def test_commands_are_code() -> None:
    page = tree("Para concluir: `consulta conclude X`.\n\n    consulta extend X --days 2")
    assert [c.text for c in page.iter("code")] == [
        "consulta conclude X",
        "consulta extend X --days 2",
    ]


def test_quoted_lines_are_a_quotation_read_as_written() -> None:
    page = tree("Escribió:\n> No estamos de acuerdo.\n> - ni con el párrafo 2\n>\n> `x`")
    (quote,) = page.findall("blockquote")
    assert quote.text_content() == "No estamos de acuerdo.\n- ni con el párrafo 2\n\n`x`"
    assert quote.findall(".//li") == [] and quote.findall(".//code") == []


def test_what_countries_wrote_stays_text() -> None:
    hostile = '- <img src=x onerror="alert(1)"> & <b>negrita</b>\n<script>x()</script>'
    html = text_to_html(hostile)
    assert "<img" not in html and "<script" not in html and "<b>" not in html
    page = tree(hostile)
    assert page.findtext("ul/li") == '<img src=x onerror="alert(1)"> & <b>negrita</b>'


def test_every_element_is_styled_inline() -> None:
    page = tree("Lista:\n- a\n- b\n\n1. x\n2. y")
    for element in page.iter("p", "ul", "ol", "li"):
        assert element.get("style"), element.tag  # no <style> block: Gmail drops it


# Text with no markers (bullets, numbers, backquotes, a leading "> "): every character but
# spacing must be shown as written; "<" and "&" check the escaping.
PLAIN = st.text(st.sampled_from("aé Z<&\"'\n\t;.:/"), max_size=80)


@given(PLAIN)
def test_no_character_is_lost_or_added(text: str) -> None:
    shown = tree(text).text_content() if text.strip() else ""
    assert "".join(shown.split()) == "".join(text.split())
