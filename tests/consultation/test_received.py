"""A received message shown in a browser: HTML sanitised, attachments bytes with safe names."""

from email.message import EmailMessage

from consultation import received

HOSTILE = """<html><head><style>body{display:none}</style><script>alert(1)</script></head>
<body onload="steal()"><p style="color:red" onclick="x()">Aprobamos <b>el texto</b>.</p>
<img src="https://tracker.example/pixel.gif"><a href="javascript:alert(1)">uno</a>
<a href="https://crm.example/">dos</a><iframe src="https://evil.example/"></iframe>
<form action="https://evil.example/"><input name="q"></form></body></html>"""


def _message(html: str | None = None, text: str = "Aprobamos.") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "gt@example.org"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def test_html_keeps_the_words_and_loses_everything_active() -> None:
    shown = received.body(_message(HOSTILE))
    assert "Aprobamos <b>el texto</b>." in shown.html
    for gone in (
        "<script",
        "alert(1)",
        "<style",
        "display:none",
        "onload",
        "onclick",
        "style=",
        "<img",
        "tracker.example",
        "javascript:",
        "<iframe",
        "<form",
        "<input",
    ):
        assert gone not in shown.html, gone
    assert '<a href="https://crm.example/" rel="noopener noreferrer">dos</a>' in shown.html
    assert shown.text == ""


def test_plain_text_is_left_to_the_page_to_escape() -> None:
    shown = received.body(_message(text="<b>not markup</b>"))
    assert shown.html == ""
    assert shown.text.strip() == "<b>not markup</b>"


def test_attachments_download_as_bytes_with_a_safe_name() -> None:
    message = _message()
    message.add_attachment(
        b"<script>alert(1)</script>",
        maintype="text",
        subtype="html",
        filename='../../etc/"pass;wd".html',
    )
    message.add_attachment(
        b"PK\x03\x04",
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="enmiendas GT.docx",
    )
    page, docx = received.attachment(message, 0), received.attachment(message, 1)
    assert page is not None and docx is not None
    assert page.content_type == "application/octet-stream"  # never HTML to a browser
    assert "/" not in page.name and '"' not in page.name and ";" not in page.name
    assert page.name.endswith(".html") and page.data == b"<script>alert(1)</script>"
    assert docx.name == "enmiendas GT.docx" and docx.content_type.endswith("document")
    assert received.attachment(message, 2) is None
    assert len(received.attachments(message)) == 2
