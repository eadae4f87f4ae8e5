"""The clock's commands: tick, remind, digest (dry run and queued), export."""

from datetime import timedelta
from pathlib import Path

import pytest
from lxml import html as lxml_html

from tests.factories import TEXT_EN, TEXT_ES
from tests.service.test_cli import Operator


@pytest.fixture
def op(tmp_path: Path) -> Operator:
    return Operator(tmp_path)


def consulting(op: Operator) -> None:
    op("roster", "import")
    es, en = op.file("es.md", TEXT_ES), op.file("en.md", TEXT_EN)
    op("new", "--title", "Flujos", "--title-en", "Flows", "--text", es, "--text-en", en)
    op("troika", "CRM-2026-001")
    for country in ("MX", "DO", "PA"):
        op("troika-answer", "CRM-2026-001", "--country", country, "--approve")
    op("send", "CRM-2026-001")


def test_remind_names_who_asked_for_time(op: Operator) -> None:
    consulting(op)
    op("record", "CRM-2026-001", "--country", "GT", "--position", "approve")
    op("record", "CRM-2026-001", "--country", "HN", "--extension")
    out = op("remind", "CRM-2026-001").output
    assert "reminded BZ, CA, CR, DO, HN, MX, NI, PA, SV, US." in out
    assert "consulta extend CRM-2026-001 --days 2" in out


def test_digest_dry_run_prints_and_sends_nothing(op: Operator) -> None:
    consulting(op)
    out = op("digest", "--date", "2026-12-08", "--dry-run").output
    assert "digest for Tuesday 8 December 2026" in out
    assert "CRM-2026-001" in out and "4 business days left" in out
    spanish = op("--lang", "es", "digest", "--date", "2026-12-08", "--dry-run").output
    assert "quedan 4 días hábiles" in spanish
    page = op("digest", "--dry-run", "--html").output
    assert lxml_html.fromstring(page).xpath("//tr[@class='consultation']/@id") == ["CRM-2026-001"]
    assert "1 recipient" in op("digest").output
    assert "0 recipient" in op("digest").output  # once a day


def test_tick_is_quiet_when_nothing_is_due(op: Operator) -> None:
    consulting(op)
    op.time.advance(timedelta(hours=1))
    op("tick")
    assert op("tick").output.strip() == "Nothing is due."


def test_export_writes_the_record(op: Operator) -> None:
    consulting(op)
    target = op.tmp / "record.html"
    assert "record written to" in op("export", "CRM-2026-001", "-o", str(target)).output
    tree = lxml_html.fromstring(target.read_text(encoding="utf-8"))
    assert tree.findtext(".//h1") == "CRM-2026-001: Flows"
    markdown = op("--lang", "es", "export", "crm-2026-001", "--format", "md", "-o", "-").output
    assert markdown.startswith("# CRM-2026-001: Flujos\n")
