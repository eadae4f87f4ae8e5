"""Cutting quotes, attributions, signatures and disclaimers; forwarded answers."""

from __future__ import annotations

from mail.reading.body import extract_own
from mail.reading.html_text import html_to_text

CONSULTATION = (
    "Estimados Puntos Focales:\n\n"
    "De no recibirse respuesta en el plazo indicado, se entenderá que el país no tiene "
    "objeciones al texto.\n\n1. Texto del párrafo uno.\n\nAtentamente,\n\nPresidencia Pro Tempore"
)


def test_outlook_spanish_header_block() -> None:
    text = (
        "Estimados colegas:\n\nGuatemala no tiene objeciones.\n\nAtentamente,\n\nAna Pérez\n"
        "Primera Secretaria\n\nDe: PPT <consultas@ministerio.example.org>\n"
        "Enviado el: lunes, 2 de noviembre de 2026 10:15\nPara: Ana <a@x.example>\n"
        "Asunto: Consulta escrita\n\n" + CONSULTATION
    )
    own = extract_own(text)
    assert "no tiene objeciones." in own.text
    assert "plazo indicado" not in own.text
    assert "Primera Secretaria" not in own.text


def test_outlook_french_and_german_blocks() -> None:
    for block in (
        "De : PPT <c@x.example>\nEnvoyé : lundi 2 novembre 2026\nÀ : Moi\nObjet : Consulta",
        "Von: PPT <c@x.example>\nGesendet: Montag, 2. November 2026\nAn: Ich\nBetreff: Consulta",
    ):
        own = extract_own("No objection.\n\n" + block + "\n\n" + CONSULTATION)
        assert own.text == "No objection."


def test_original_message_separator_and_mobile_footer() -> None:
    text = (
        "Sin comentarios.\n\nEnviado desde mi iPhone\n\n-----Mensaje original-----\n"
        "De: PPT\n" + CONSULTATION
    )
    assert extract_own(text).text == "Sin comentarios."


def test_gmail_attribution_wrapped_over_two_lines() -> None:
    text = (
        "We concur.\n\nOn Wed, Nov 4, 2026 at 9:30 AM Presidencia Pro Tempore CRM <\n"
        "consultas@ministerio.example.org> wrote:\n\n> Countries that do not reply will be "
        "deemed to have no objection.\n"
    )
    assert extract_own(text).text == "We concur."


def test_bottom_posting_keeps_the_answer_below_the_quote() -> None:
    text = (
        "El 2/11/26 a las 10:15, PPT escribió:\n> 3. Acordamos un plazo de cinco días.\n>\n"
        "> Atentamente,\n\nCosta Rica puede acompañarlo.\n\nSaludos cordiales,\n\nLucía\n"
    )
    assert extract_own(text).text == "Costa Rica puede acompañarlo.\n\nSaludos cordiales,"


def test_interleaved_answer_keeps_the_quoted_paragraph_as_context() -> None:
    text = (
        "Comentarios abajo.\n\n> 2. Reafirmamos el compromiso.\n\nDe acuerdo.\n\n"
        "> 3. Acordamos un plazo de cinco días.\n\nProponemos «diez días».\n"
    )
    own = extract_own(text)
    assert [s.context for s in own.segments] == [
        None,
        "2. Reafirmamos el compromiso.",
        "3. Acordamos un plazo de cinco días.",
    ]


def test_signature_dash_dash_and_disclaimer_are_cut() -> None:
    text = (
        "Aprobamos el texto.\n\n-- \nRodrigo\nDirector\n\n"
        "AVISO: este mensaje es confidencial y para uso exclusivo del destinatario; si usted no "
        "es el destinatario, elimínelo."
    )
    assert extract_own(text).text == "Aprobamos el texto."


def test_disclaimer_without_closing_is_dropped() -> None:
    text = (
        "We concur with the draft.\n\nThis e-mail is confidential and intended only for the "
        "intended recipient. If you are not the intended recipient, please delete it."
    )
    assert extract_own(text).text == "We concur with the draft."


def test_forwarded_colleague_answer_counts() -> None:
    text = (
        "Les remito la respuesta de la Cancillería.\n\n"
        "---------- Forwarded message ---------\nDe: Director <dir@minex.gob.example>\n"
        "Date: lun, 9 nov 2026\nSubject: Posición\nTo: Punto Focal <pf@minex.gob.example>\n\n"
        "Guatemala no tiene objeciones al proyecto.\n\nSaludos,\nEl Director\n"
    )
    own = extract_own(text, subject="FW: Posición de Guatemala")
    assert own.relayed
    assert "no tiene objeciones" in own.text


def test_forward_of_our_own_consultation_does_not_count() -> None:
    text = (
        "FYI\n\n---------- Forwarded message ---------\n"
        "From: PPT <consultas+tok@ministerio.example.org>\nDate: Mon\nSubject: Consulta\n"
        "To: Focal <pf@x.example>\n\n" + CONSULTATION
    )
    own = extract_own(
        text, subject="Fwd: Consulta", our_addresses=("consultas+zzz@ministerio.example.org",)
    )
    assert not own.relayed
    assert own.text == "FYI"


def test_reply_to_internal_forward_ignores_the_quoted_note() -> None:
    text = (
        "Canada is still consulting.\n\nFrom: Adam <a@gc.example>\nSent: Wednesday\n"
        "To: Jennifer\nSubject: FW: Consultation\n\nJennifer - comments due to me by Nov 16.\n"
    )
    own = extract_own(text, subject="RE: FW: Written consultation")
    assert own.text == "Canada is still consulting."


def test_html_quote_containers_and_blockquotes() -> None:
    html = (
        "<div>Apoyamos el texto.</div><div id='divRplyFwdMsg'><b>De:</b> PPT<br>"
        "<b>Enviado:</b> lunes<br><b>Para:</b> X<br><b>Asunto:</b> Y</div>"
        "<div>no tiene objeciones</div>"
    )
    assert extract_own(html_to_text(html)).text == "Apoyamos el texto."
    gmail = (
        '<div dir="ltr">We concur.</div><div class="gmail_quote"><div class="gmail_attr">'
        "On Mon, Nov 2, 2026 X wrote:<br></div><blockquote class='gmail_quote'>"
        "deemed to have no objection</blockquote></div>"
    )
    assert extract_own(html_to_text(gmail)).text == "We concur."


def test_empty_body() -> None:
    own = extract_own("")
    assert own.text == ""
    assert own.segments == ()


def test_a_plain_bounce_keeps_its_notice_and_drops_the_returned_copy() -> None:
    for separator in (
        "--- Below this line is a copy of the message.",
        "------ This is a copy of the message, including all the headers. ------",
    ):
        text = (
            "I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
            f"<a@x.example>:\nSorry, no mailbox here by that name.\n\n{separator}\n\n"
            + CONSULTATION
        )
        own = extract_own(text)
        assert "no mailbox here" in own.text and "plazo indicado" not in own.text
