"""`consulta export`: a consultation's full record as a page for the ST's archive."""

from pathlib import Path
from typing import cast

import click
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import record
from consultation.exporting import Format, export_record
from service.cli_support import app, in_transaction, language, run, say, templates


@click.command("export")
@click.argument("consultation_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md"]),
    default="html",
    show_default=True,
    help="A web page, or Markdown.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it (default: ./<ID>.<format>; - for the screen).",
)
@click.pass_context
def export(ctx: click.Context, consultation_id: str, fmt: str, output: Path | None) -> None:
    """Write the full record: versions and redlines, positions, amendments, deadlines, events."""

    async def work(session: AsyncSession) -> tuple[str, str]:
        found = await record.gather(session, consultation_id)
        page = export_record(templates(), found, fmt=cast(Format, fmt), language=language(ctx))
        return found.consultation.id, page

    found_id, page = run(in_transaction(app(ctx), work))
    if output is not None and str(output) == "-":
        click.echo(page, nl=False)
        return
    target = output or Path(f"{found_id}.{fmt}")
    target.write_text(page, encoding="utf-8")
    click.echo(say(ctx)("written", id=found_id, target=target))


COMMANDS = [export]
