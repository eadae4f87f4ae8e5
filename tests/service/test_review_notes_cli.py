"""`consulta review show` and `review page` for a reply held for its scanned note: the note's
reference and date in words, and the page image saved as PNG (SQLite and PostgreSQL)."""

from pathlib import Path

from consultation.errors import NotFound
from consultation.timesource import ManualTime
from consultation.vocabulary import Language
from service.cli import error_lines
from store.database import Database
from store.tables import InboundMessageRow, InboundPageImageRow
from tests.factories import make_consultation
from tests.fixtures.notes.scoring import HERE
from tests.service.test_no_codes import assert_no_codes
from tests.service.test_review_cli import Operator, database  # noqa: F401 - the fixture

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the bytes are kept and given back as they are


async def test_show_names_the_note_and_page_saves_its_image(
    database: tuple[str, Database],  # noqa: F811
    time: ManualTime,
    tmp_path: Path,
) -> None:
    url, db = database
    made = await make_consultation(db, time)
    async with db.transaction() as session:
        row = InboundMessageRow(
            dedupe_key="<scan@cancilleria.sv.example>",
            raw=(HERE / "messages" / "n09-scan-es-approve-two-pages.eml").read_bytes(),
            received_at=time.now(),
            status="review",
            reason="ocr_position",
            consultation_id=made.id,
            version=1,
            country="SV",
            sender="cmenjivar@rree.sv.example",
            reading={
                "position": "approve",
                "amendments": [],
                "extension_requested": False,
                "review_reasons": ["ocr_position"],
                "own_text": "Adjunto nota verbal escaneada.",
                "note_verbale": {
                    "filename": "nota.pdf",
                    "source": "scan",
                    "reference": "DGPE/SV/0288/2026",
                    "date": "2026-11-11",
                },
            },
        )
        session.add(row)
        await session.flush()
        assert row.id is not None
        number = row.id
        session.add(InboundPageImageRow(inbound_id=number, filename="nota.pdf", png=PNG))
    operator = Operator(url, time)

    shown = (await operator("--lang", "es", "review", "show", str(number))).output
    assert (
        "Nota verbal DGPE/SV/0288/2026 del 11 de noviembre de 2026 (nota.pdf, leída de un PDF "
        "escaneado, por reconocimiento óptico de caracteres)" in shown
    )
    assert f"review page {number} --out pagina.png" in shown
    assert "reconocimiento óptico de caracteres y el texto del correo no la confirma" in shown
    assert_no_codes(shown, "es")
    english = (await operator("--lang", "en", "review", "show", str(number))).output
    assert (
        "Note verbale DGPE/SV/0288/2026 of 11 November 2026 (nota.pdf, read from a scanned"
        in english
    )
    assert_no_codes(english, "en")

    out = tmp_path / "page.png"
    saved = await operator("--lang", "en", "review", "page", str(number), "--out", str(out))
    assert out.read_bytes() == PNG and "first page of nota.pdf" in saved.output
    async with db.transaction() as session:  # a message with no scanned document
        plain = InboundMessageRow(
            dedupe_key="<plain@x.example>",
            raw=b"From: a@x.example\r\n\r\nok",
            received_at=time.now(),
        )
        session.add(plain)
        await session.flush()
        assert plain.id is not None
        other = plain.id
    missing = await operator("review", "page", str(other), "--out", str(out), ok=False)
    assert isinstance(missing.exception, NotFound)
    [said] = error_lines(missing.exception, Language.ES)
    assert said == (
        f"error: El mensaje n.º {other} no trae ningún documento escaneado: no hay imagen de página "
        "que guardar."
    )
