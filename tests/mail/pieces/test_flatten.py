"""A message flattened with its shared parts' bytes reused is the message aiosmtplib would
send: the same bytes (the multipart boundaries aside, random in both), whatever the policy."""

import re
from email.message import EmailMessage

from aiosmtplib.email import flatten_message

from mail.flatten import flatten, frozen

BOUNDARY = re.compile(rb"=+\d+==")


def attachment() -> EmailMessage:
    part = EmailMessage()
    part.set_content(bytes(range(256)) * 40, maintype="application", subtype="octet-stream")
    part.add_header("Content-Disposition", "attachment", filename="texto versión 1.docx")
    return frozen(part)


def reader(name: str, shared: EmailMessage) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "Consulta · versión 1"
    message["From"] = "consultas@crm.example"
    message["To"] = f"{name}@cancilleria.example"
    message["Bcc"] = "archivo@crm.example"
    message.set_content(f"Estimada {name}:\n\nel texto va adjunto.\n")
    message.add_alternative(f"<p>Estimada {name}:</p><p>{'ñ' * 200}</p>", subtype="html")
    message.make_mixed()
    message.attach(shared)
    return message


def test_shared_parts_reused_give_the_bytes_aiosmtplib_would_send() -> None:
    shared = attachment()
    # Each reader after the first reuses the part's bytes, under whichever policy made them.
    for utf8, cte_type in [(False, "8bit"), (False, "7bit"), (True, "8bit"), (False, "8bit")]:
        for name in ("ana", "bea"):
            message = reader(name, shared)
            ours = flatten(message, utf8=utf8, cte_type=cte_type)
            theirs = flatten_message(message, utf8=utf8, cte_type=cte_type)
            assert BOUNDARY.sub(b"B", ours) == BOUNDARY.sub(b"B", theirs)
            assert b"archivo@" not in ours  # Bcc left out, as aiosmtplib leaves it out
