"""The `consulta` command: one group, errors as one sentence and a non-zero exit code."""

import sys

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from consultation.errors import ConsultaError, ProcedureError, RosterError
from service import (
    demo,
    mail_commands,
    mailserver,
    procedure_commands,
    record_commands,
    roster_commands,
    schedule_commands,
    serve,
)
from service.context import default_context

EXIT_REFUSED = 2  # the rules or the input said no
EXIT_FAILED = 1  # the world failed (database unreachable…)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--lang", type=click.Choice(["es", "en"]), help="Language of the output.")
@click.option("--actor", help="Who is acting, for the record (default: cli:<login>).")
@click.pass_context
def cli(ctx: click.Context, lang: str | None, actor: str | None) -> None:
    """consulta: written consultations of the Regional Conference on Migration."""
    if ctx.obj is None:
        ctx.obj = default_context()
    # Which command runs decides whether a missing database may be created (service.context).
    ctx.obj.for_command(ctx.invoked_subcommand, lang)


for command in [
    *roster_commands.COMMANDS,
    *procedure_commands.COMMANDS,
    *mail_commands.COMMANDS,
    *demo.COMMANDS,
    *serve.COMMANDS,
    *mailserver.COMMANDS,
    *schedule_commands.COMMANDS,
    *record_commands.COMMANDS,
]:
    cli.add_command(command)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(EXIT_FAILED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RosterError as exc:
        click.echo(f"error: {exc.source or 'roster'} is not valid:", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(EXIT_REFUSED)
    except ProcedureError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    except ConsultaError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    except (OperationalError, DBAPIError) as exc:
        click.echo(
            f"error: the database is unreachable or refused the operation ({exc.orig})", err=True
        )
        sys.exit(EXIT_FAILED)
    except OSError as exc:
        click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        sys.exit(EXIT_FAILED)
