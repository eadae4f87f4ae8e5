"""The heaviest reply of issue #13: about 20 MB, a dozen .docx with thousands of tracked changes
each. Built, not stored: the bytes are random enough that nothing compresses them away."""

import random
from email.message import EmailMessage

from tests.mail.reading.factories import make_docx

DOCX, CHANGES = 12, 3000


def tracked_docx(rng: random.Random, changes: int = CHANGES) -> bytes:
    words = ["migración", "regional", "párrafo", "cooperación", "protección", "consulta"]
    paragraphs: list[str | list[tuple[str, str]]] = []
    for _ in range(changes // 2):
        runs = [
            ("", " ".join(rng.choices(words, k=6))),
            ("del", " ".join(rng.choices(words, k=3)) + f" {rng.getrandbits(64):x}"),
            ("ins", " ".join(rng.choices(words, k=3)) + f" {rng.getrandbits(64):x}"),
        ]
        paragraphs.append(runs)
    return make_docx(paragraphs)


def heavy_reply(reply: EmailMessage, *, seed: int = 22, docx: int = DOCX) -> bytes:
    """``reply`` (a reply to a draft, its text set) with the .docx attached, plus ballast of
    incompressible bytes to bring it near 20 MB, as scanned annexes do."""
    rng = random.Random(seed)
    for n in range(docx):
        reply.add_attachment(
            tracked_docx(rng),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename=f"propuesta-{n + 1}.docx",
        )
    size = len(reply.as_bytes())
    ballast = max(0, 15_000_000 - size)
    reply.add_attachment(
        rng.randbytes(ballast), maintype="application", subtype="pdf", filename="anexo.pdf"
    )
    return reply.as_bytes()
