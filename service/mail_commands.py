"""Commands of the email front that need no server: reading a reply as the service would."""

import json
from pathlib import Path

import click

from consultation.errors import InvalidInput
from mail.reading import read_reply, split_paragraphs, to_label


@click.command("parse-reply")
@click.option(
    "--draft",
    "draft",
    type=click.Path(path_type=Path),
    required=True,
    help="The text the message answers: UTF-8, paragraphs separated by blank lines.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the label as one JSON object.")
@click.argument("message", type=click.Path(path_type=Path))
def parse_reply(draft: Path, as_json: bool, message: Path) -> None:
    """Read a reply (an .eml file) against its draft: kind, position, amendments, language."""
    try:
        text = draft.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{draft} is not UTF-8 text") from exc
    paragraphs = split_paragraphs(text)
    if not paragraphs:
        raise InvalidInput(f"{draft} has no paragraphs")
    raw = message.read_bytes()
    if not raw.strip():
        raise InvalidInput(f"{message} is empty")
    reading = read_reply(raw, paragraphs)
    label = to_label(reading) | {
        "confidence": round(reading.confidence, 3),
        "needs_review": reading.needs_review,
        "review_reasons": list(reading.review_reasons),
    }
    if as_json:
        click.echo(json.dumps(label, ensure_ascii=False))
        return
    click.echo(json.dumps(label, ensure_ascii=False, indent=2))


COMMANDS = [parse_reply]
