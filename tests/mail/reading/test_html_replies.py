"""Whole HTML replies: amendment tables, redlines, interleaved Gmail answers, Word lists."""

from __future__ import annotations

from mail.reading import read_reply
from mail.reading.amendments import Amendment
from tests.mail.reading.factories import DRAFT_ES, make_message

QUOTE = (
    '<div id="appendonsend"></div><hr tabindex="-1"><div id="divRplyFwdMsg"><b>De:</b> PPT<br>'
    "<b>Enviado:</b> lunes<br><b>Para:</b> X<br><b>Asunto:</b> Consulta</div><div>"
    + "".join(f"<p>{i}. {p}</p>" for i, p in enumerate(DRAFT_ES, 1))
    + "<p>se entenderá que el país no tiene objeciones</p></div>"
)


def test_amendment_table_is_preferred_over_the_plain_part() -> None:
    html = (
        "<div>Costa Rica propone los siguientes cambios:</div><table><tr><td>Párrafo</td>"
        "<td>Texto original</td><td>Texto propuesto</td><td>Justificación</td></tr>"
        "<tr><td>3</td><td>cinco días</td><td>diez días</td><td>Capacidad</td></tr></table>" + QUOTE
    )
    reading = read_reply(make_message("Costa Rica propone cambios.", html=html), DRAFT_ES)
    assert reading.position == "amend"
    assert reading.amendments == (
        Amendment("replace", 3, DRAFT_ES[2].replace("cinco días", "diez días")),
    )


def test_redline_insertion_and_struck_paragraph() -> None:
    html = (
        "<p>Proponemos los cambios marcados:</p><p>4. Instamos a los organismos internacionales "
        "a fortalecer la cooperación técnica y financiera para la atención humanitaria "
        f"<u>en frontera</u>.</p><p>5. <s>{DRAFT_ES[4]}</s></p><p>Saludos</p>" + QUOTE
    )
    reading = read_reply(make_message("Ver cambios marcados.", html=html), DRAFT_ES)
    assert set(reading.amendments) == {
        Amendment("replace", 4, DRAFT_ES[3][:-1] + " en frontera."),
        Amendment("delete", 5, None),
    }


def test_gmail_interleaved_answer() -> None:
    html = (
        '<div dir="ltr">Ver respuestas entre líneas.</div><div class="gmail_quote">'
        '<div class="gmail_attr">El lun, 2 nov 2026 a las 10:15, PPT escribió:</div>'
        f'<blockquote class="gmail_quote">3. {DRAFT_ES[2]}</blockquote>'
        "<div>Proponemos sustituir «cinco días» por «siete días».</div>"
        f'<blockquote class="gmail_quote">4. {DRAFT_ES[3]}<br><br>se entenderá que el país no '
        "tiene objeciones</blockquote><div>De acuerdo con el resto del texto.</div></div>"
    )
    reading = read_reply(make_message(None, html=html), DRAFT_ES)
    assert reading.position == "amend"
    assert reading.amendments == (Amendment("replace", 3, DRAFT_ES[2].replace("cinco", "siete")),)
    assert "no tiene objeciones" not in reading.own_text


def test_word_numbered_list_of_the_revised_text() -> None:
    items = "".join(
        f'<p class=MsoListParagraph style="mso-list:l0 level1 lfo1"><![if !supportLists]>'
        f"<span>{i}.<span>&nbsp;&nbsp; </span></span><![endif]>{p.replace('cinco', 'quince')}"
        "<o:p></o:p></p>"
        for i, p in enumerate(DRAFT_ES, 1)
    )
    html = "<p>México acompaña el texto con los cambios siguientes:</p>" + items + QUOTE
    reading = read_reply(make_message(None, html=html), DRAFT_ES)
    assert reading.amendments == (Amendment("replace", 3, DRAFT_ES[2].replace("cinco", "quince")),)
