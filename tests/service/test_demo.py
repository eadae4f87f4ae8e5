"""`consulta demo` end to end: the embedded mail servers, the running email front and scheduler,
the scripted people's emails; then what the store, the mail folder and the files say happened."""

import asyncio
import io
import json
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from consultation.vocabulary import Language
from service import demo as demo_module
from service import demo_script
from service.demo import Demo, Summary, failure, prepare
from service.demo_story import DemoFailed
from service.devmail import DevMailServer

CONSULTA = Path(sys.executable).with_name("consulta")
MEMBERS = {"BZ", "CA", "CR", "SV", "US", "GT", "HN", "MX", "NI", "PA", "DO"}
OBSERVERS = 13  # five countries and eight organisations, one contact each


class Run:
    """One demo run's folder and database, read after it finished."""

    def __init__(self, out: Path, summary: Summary) -> None:
        self.out, self.summary = out, summary
        self.db = sqlite3.connect(out / "consulta.db")
        self.db.row_factory = sqlite3.Row

    def rows(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return list(self.db.execute(sql, args))

    def mails(self) -> list[Path]:
        return sorted((self.out / "mail").glob("*.eml"))

    def message(self, path: Path) -> EmailMessage:
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def sent(self, kind: str) -> list[sqlite3.Row]:
        return self.rows("SELECT * FROM outbox WHERE kind = ? AND channel = 'email'", kind)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    out = tmp_path_factory.mktemp("demo") / "out"
    prepare(out)
    started = time.monotonic()
    summary = asyncio.run(Demo(out, Language.EN, echo=False).run())
    assert time.monotonic() - started < 60  # the promise: well under a minute
    finished = Run(out, summary)
    yield finished
    finished.db.close()


def test_the_consultation_concludes_with_consensus_on_version_2(run: Run) -> None:
    [row] = run.rows("SELECT * FROM consultation")
    assert (row["id"], row["state"], row["outcome"], row["current_version"]) == (
        "CRM-2026-001",
        "concluded",
        "consensus",
        2,
    )
    assert run.summary == Summary(
        "CRM-2026-001", "consensus", 2, len(run.mails()), run.summary.seconds
    )
    # The real deadline job tallied it; the PPT concluded after, not before.
    [job] = run.rows("SELECT * FROM scheduled_job WHERE kind = 'deadline' AND outcome = 'done'")
    assert job["version"] == 2
    kinds = [e["kind"] for e in run.rows("SELECT kind FROM event ORDER BY id")]
    assert kinds.index("tallied") < kinds.index("concluded")
    assert kinds.count("revised") == 1


def test_every_members_position_on_version_2_came_from_its_own_email(run: Run) -> None:
    positions = run.rows(
        "SELECT p.country, p.value, m.sender, m.status FROM position p "
        "JOIN inbound_message m ON m.id = p.inbound_id WHERE p.version = 2"
    )
    assert {p["country"] for p in positions} == MEMBERS
    assert {p["value"] for p in positions} == {"approve"}
    assert {p["status"] for p in positions} == {"recorded"}
    by_country = {p["country"]: p["sender"] for p in positions}
    assert by_country["GT"] == "puntofocal@cancilleria.gt.example"
    assert by_country["US"] == "migracion@interior.us.example"  # the alternate, as the OOF said


def test_panama_answers_by_a_scanned_note_verbale_read_by_ocr(run: Run) -> None:
    """Its email says the same position in words, so the OCR reading counts; the note's
    number and date are in the answer's event and its receipt."""
    [event] = [
        e
        for e in run.rows("SELECT payload FROM event WHERE kind = 'answer_recorded'")
        if json.loads(e["payload"]).get("country") == "PA"
        and json.loads(e["payload"]).get("version") == 2
    ]
    note = json.loads(event["payload"])["note_verbale"]
    assert (note["source"], note["reference"], note["date"]) == (
        "scan",
        "DAM/MIRE/2026/0552",
        "2026-12-10",
    )
    receipts = [
        run.message(p) for p in run.mails() if "-to-puntofocal@cancilleria.pa.example-" in p.name
    ]
    said = [str(m.get_body(("plain",)).get_content()) for m in receipts]  # type: ignore[union-attr]
    assert any("Nota verbal DAM/MIRE/2026/0552 del 10 de diciembre de 2026" in s for s in said)
    record = (run.out / "CRM-2026-001.md").read_text("utf-8")
    assert "Note verbale DAM/MIRE/2026/0552 of 10 December 2026" in record  # and in the record


def test_first_round_amendments_objection_and_out_of_office(run: Run) -> None:
    first = {
        p["country"]: p["value"]
        for p in run.rows("SELECT country, value FROM position WHERE version = 1")
    }
    assert first == {
        "MX": "approve",
        "CA": "approve",
        "GT": "amend",
        "NI": "object",
        "HN": "amend",
        "CR": "approve",
        "BZ": "approve",
    }
    amendments = run.rows("SELECT * FROM amendment ORDER BY id")
    assert [(a["country"], a["action"], a["paragraph"], a["status"]) for a in amendments] == [
        ("GT", "replace", 2, "incorporated"),
        ("HN", "replace", 3, "incorporated"),  # read from Word's tracked changes
    ]
    assert amendments[0]["proposed"] == demo_script.GT_PARAGRAPH_2
    assert amendments[1]["proposed"] == demo_script.HN_PARAGRAPH_3
    # The out-of-office: noted for the PPT and the ST, no position, never answered.
    [ooo] = run.rows("SELECT * FROM inbound_message WHERE status = 'auto_reply'")
    assert ooo["sender"] == "puntofocal@cancilleria.us.example"
    [note] = run.rows("SELECT payload FROM event WHERE kind = 'out_of_office'")
    assert json.loads(note["payload"])["country"] == "US"
    assert not run.sent("rejection")
    receipts = run.sent("answer_recorded")
    assert not [
        r
        for r in receipts
        if json.loads(r["payload"])["country"] == "US" and json.loads(r["payload"])["version"] == 1
    ]
    assert {r["status"] for r in run.rows("SELECT status FROM inbound_message")} == {
        "recorded",
        "auto_reply",
    }


def test_the_troika_approved_by_email(run: Run) -> None:
    reviews = run.rows("SELECT country, status, answered_by FROM troika_review ORDER BY country")
    assert [(r["country"], r["status"], r["answered_by"]) for r in reviews] == [
        ("DO", "approved", "troika@cancilleria.do.example"),
        ("MX", "approved", "troika@cancilleria.mx.example"),
        ("PA", "approved", "troika@cancilleria.pa.example"),
    ]


def test_the_scheduler_reminded_the_one_country_still_pending(run: Run) -> None:
    reminders = run.sent("reminder")
    assert {json.loads(r["payload"])["country"] for r in reminders} == {"SV"}
    assert len(reminders) == 2  # both Salvadoran focal points
    [sv] = run.rows("SELECT * FROM position WHERE country = 'SV'")
    assert sv["version"] == 2 and sv["value"] == "approve"


def test_every_email_is_a_numbered_file_in_order(run: Run) -> None:
    mails = run.mails()
    numbers = [int(p.name[:4]) for p in mails]
    assert numbers == list(range(1, len(mails) + 1))
    # Nothing queued was left unsent, and every sent email is in the folder.
    assert not run.rows("SELECT id FROM outbox WHERE channel = 'email' AND status != 'sent'")
    sent = len(run.rows("SELECT id FROM outbox WHERE channel = 'email'"))
    replies = len(run.rows("SELECT id FROM inbound_message"))
    assert len(mails) == sent + replies == run.summary.emails
    subjects = {p: str(run.message(p)["Subject"]).strip() for p in mails}
    drafts = [
        p
        for p, s in subjects.items()
        if s.startswith(("Consulta escrita:", "Written consultation:"))
    ]
    assert len({run.message(p)["To"] for p in drafts}) == len(drafts) == 2 * len(MEMBERS)
    assert len(run.sent("results")) == 2 * len(MEMBERS)
    assert len(run.sent("results_info")) == OBSERVERS
    assert len(run.sent("digest")) >= 5  # every business morning of the consultation


def test_replies_are_threaded_and_the_out_of_office_is_marked(run: Run) -> None:
    replies = [p for p in run.mails() if "-from-" in p.name]
    assert len(replies) == len(run.rows("SELECT id FROM inbound_message"))
    for path in replies:
        reply = run.message(path)
        assert reply["In-Reply-To"] and reply["In-Reply-To"] in reply["References"]
        assert str(reply["To"]).startswith("consultas+")  # the draft's signed Reply-To
    [ooo] = [run.message(p) for p in replies if "Automatic-reply" in p.name]
    assert ooo["Auto-Submitted"] == "auto-replied" and ooo["Return-Path"] == "<>"
    hn = next(run.message(p) for p in replies if "-from-puntofocal@cancilleria.hn" in p.name)
    [attachment] = list(hn.iter_attachments())
    document = zipfile.ZipFile(io.BytesIO(attachment.get_content())).read("word/document.xml")
    assert b"<w:ins " in document and b"<w:del " in document  # Track Changes, as Word does
    gt = next(run.message(p) for p in replies if "-from-puntofocal@cancilleria.gt" in p.name)
    body = gt.get_body(("plain",))
    assert body is not None and "De: Consultas CRM <consultas@crm.example>" in body.get_content()


def test_the_digest_and_the_record_are_in_the_folder(run: Run) -> None:
    digest_es = (run.out / "digest.es.txt").read_text(encoding="utf-8")
    assert "Nicaragua objeta" in digest_es and "Fuera de la oficina" in digest_es
    digest_en = (run.out / "digest.en.txt").read_text(encoding="utf-8")
    assert "Nicaragua objects" in digest_en and "Answered: 7 of 11" in digest_en
    assert "<html" in (run.out / "digest.en.html").read_text(encoding="utf-8")
    record = (run.out / "CRM-2026-001.md").read_text(encoding="utf-8")
    version_2 = record.split("## Version 2", 1)[1]
    names = [
        "Belize",
        "Canada",
        "Costa Rica",
        "El Salvador",
        "United States",
        "Guatemala",
        "Honduras",
        "Mexico",
        "Nicaragua",
        "Panama",
        "Dominican Republic",
    ]
    for name in names:
        assert f"| {name} | approves |" in version_2
    assert "| Nicaragua | objects |" in record.split("## Version 2", 1)[0]
    assert "within [-five-][+ten+] business days" in version_2
    assert "Extra-continental migration flows" in (run.out / "CRM-2026-001.html").read_text()
    boards = (run.out / "status-boards.txt").read_text(encoding="utf-8")
    assert boards.count("CRM-2026-001 · Extra-continental migration flows") == 3
    assert "blocking: NI" in boards and boards.rstrip().endswith("0 pending · 0 silent")
    assert "Outcome: consensus" in boards


def test_the_command_runs_from_the_entry_point_in_spanish(tmp_path: Path) -> None:
    out = tmp_path / "salida"
    result = subprocess.run(
        [str(CONSULTA), "--lang", "es", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Nicaragua" in result.stdout and "OBJETA" in result.stdout
    assert "Estado: concluida" in result.stdout
    assert "concluida con consenso sobre la versión 2" in result.stdout
    assert len(list((out / "mail").glob("*.eml"))) > 100
    assert (out / "CRM-2026-001.html").exists() and (out / "digest.es.txt").exists()


def test_a_folder_an_earlier_demo_made_is_emptied(tmp_path: Path) -> None:
    out = tmp_path / "out"
    prepare(out)
    (out / "mail").mkdir()
    (out / "mail" / "0001-to-someone@example.org-Old.eml").write_bytes(b"Subject: Old\r\n\r\n")
    prepare(out)
    assert [p.name for p in out.iterdir()] == [".consulta-demo"]


def test_a_folder_the_demo_did_not_make_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "thesis.docx").write_bytes(b"years of work")
    result = subprocess.run(
        [str(CONSULTA), "demo", "--out", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path} is not empty and was not made by the demo: choose another --out folder"
    ]
    assert (tmp_path / "thesis.docx").read_bytes() == b"years of work"


async def test_a_script_that_goes_wrong_stops_with_one_sentence_and_closes_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nicaragua's objection, scripted as an approval: the demo stops there, says so, and
    leaves no server listening and no task running."""
    wrong = [
        demo_script.Email(e.country, e.writer, e.text, "approve") if e.country == "NI" else e
        for e in demo_script.FIRST_ROUND
    ]
    monkeypatch.setattr(demo_script, "FIRST_ROUND", wrong)
    servers: list[DevMailServer] = []

    class Recorded(DevMailServer):
        async def __aenter__(self) -> "Recorded":
            servers.append(self)
            await super().__aenter__()
            return self

    monkeypatch.setattr(demo_module, "DevMailServer", Recorded)
    prepare(tmp_path / "out")
    with pytest.raises(DemoFailed) as caught:
        await Demo(tmp_path / "out", Language.EN, echo=False).run()
    message = str(failure(caught.value, tmp_path / "out"))
    assert message == (
        "the demo stopped: the email of puntofocal@cancilleria.ni.example was read as recorded "
        f"(object), not as approve as scripted (details in {tmp_path / 'out' / 'demo-error.txt'})"
    )
    [server] = servers
    for port in (server.smtp_port, server.imap_port):
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port)
    assert asyncio.all_tasks() == {asyncio.current_task()}


def test_a_failure_inside_a_task_group_is_told_by_its_first_cause(tmp_path: Path) -> None:
    group = ExceptionGroup("unhandled errors in a TaskGroup", [ConnectionResetError("gone")])
    message = str(failure(group, tmp_path))
    assert message == (
        f"the demo stopped: ConnectionResetError: gone (details in {tmp_path / 'demo-error.txt'})"
    )
    assert "ConnectionResetError: gone" in (tmp_path / "demo-error.txt").read_text()
