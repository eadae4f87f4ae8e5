"""Build small messages, drafts and .docx files for the reader's tests."""

from __future__ import annotations

import io
from email.message import EmailMessage
from email.policy import SMTP

import docx
from lxml import etree

DRAFT_ES = [
    "Los Países Miembros reconocen el aumento sostenido de personas migrantes que transitan "
    "por la región.",
    "Reafirmamos el compromiso de garantizar el respeto de los derechos humanos de todas las "
    "personas migrantes, independientemente de su nacionalidad.",
    "Acordamos establecer un canal de comunicación permanente entre las autoridades migratorias "
    "en un plazo máximo de cinco días.",
    "Instamos a los organismos internacionales a fortalecer la cooperación técnica y financiera "
    "para la atención humanitaria.",
    "Nos comprometemos a revisar, en un plazo de seis meses, los requisitos de visado aplicables.",
    "Encomendamos a la Red de Funcionarios de Enlace la elaboración de un informe anual sobre "
    "las rutas utilizadas.",
    "La presente Declaración será presentada en la próxima Reunión Viceministerial.",
]
DRAFT_EN = [
    "The Member Countries recognize the sustained increase in the number of migrants transiting "
    "through the region.",
    "We reaffirm our commitment to guarantee respect for the human rights of all migrants.",
    "We agree to establish a permanent communication channel among migration authorities within "
    "a maximum of five days.",
    "We call on international organizations to strengthen technical and financial cooperation.",
    "We commit to review, within six months, the visa requirements applicable to nationals of "
    "extra-continental countries.",
    "We entrust the Liaison Officers Network with the preparation of an annual report.",
    "This Declaration will be submitted to the next Vice-Ministerial Meeting.",
]


def make_message(
    text: str | None = "",
    *,
    subject: str = "RE: Consulta escrita 2026-014",
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
    charset: str = "utf-8",
) -> bytes:
    """A reply with a text/plain body, optional HTML alternative and attachments."""
    message = EmailMessage()
    message["From"] = "Punto Focal <focal@minex.gob.example>"
    message["To"] = "PPT <consultas+abc123@ministerio.example.org>"
    message["Subject"] = subject
    message["In-Reply-To"] = "<consulta.2026-014.v1.gt@consulta.example.org>"
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text, charset=charset)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for filename, data in attachments or []:
        message.add_attachment(
            data,
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename=filename,
        )
    return message.as_bytes(policy=SMTP)


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_docx(paragraphs: list[str | list[tuple[str, str]]]) -> bytes:
    """A .docx whose paragraphs are plain strings or runs of (state, text), state "", ins, del."""
    document = docx.Document()
    for paragraph in paragraphs:
        if isinstance(paragraph, str):
            document.add_paragraph(paragraph)
            continue
        element = document.add_paragraph()._p
        for state, text in paragraph:
            run = etree.SubElement(element, f"{{{W}}}r")
            tag = "delText" if state == "del" else "t"
            node = etree.SubElement(run, f"{{{W}}}{tag}")
            node.text = text
            node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            if state:
                wrapper = etree.Element(f"{{{W}}}{state}")
                wrapper.set(f"{{{W}}}id", "1")
                wrapper.set(f"{{{W}}}author", "Test")
                element.replace(run, wrapper)
                wrapper.append(run)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
