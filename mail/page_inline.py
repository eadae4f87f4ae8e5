"""The page image of a scanned note, inline in the email that puts its held reply to the PPT
and the ST (RFC 2387 multipart/related: the HTML part shows it by Content-ID; a mail program
that shows plain text lists it as an attachment)."""

from email.message import EmailMessage
from email.utils import make_msgid
from html import escape

from consultation.page_images import PageImage
from consultation.vocabulary import Language

_CAPTION = {
    Language.ES: "Primera página del documento escaneado ({name}), tal como llegó",
    Language.EN: "First page of the scanned document ({name}), as it arrived",
}


def add_page_image(
    message: EmailMessage, image: PageImage, language: Language, *, domain: str
) -> None:
    """Show ``image`` at the end of the message's HTML part."""
    html = message.get_body(("html",))
    if not isinstance(html, EmailMessage):
        return
    cid = make_msgid("page", domain=domain)
    caption = escape(_CAPTION[language].format(name=image.filename))
    figure = (
        f'<p style="margin:16px 0 4px 0;font-size:13px;color:#555">{caption}</p>'
        f'<p><img src="cid:{cid[1:-1]}" alt="{caption}" width="600" '
        f'style="max-width:100%;border:1px solid #ccc"></p>'
    )
    content = str(html.get_content())
    at = content.rfind("</body>")
    content = content[:at] + figure + content[at:] if at >= 0 else content + figure
    html.set_content(content, subtype="html", charset="utf-8")
    html.add_related(
        image.png, "image", "png", cid=cid, filename=image.image_name, disposition="inline"
    )
