"""The `consulta` command: one group, errors as one sentence and a non-zero exit code."""

import sys

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from consultation.errors import ConsultaError, ProcedureError, RosterError
from consultation.vocabulary import Language
from service import (
    demo,
    mail_commands,
    mailserver,
    procedure_commands,
    record_commands,
    review_commands,
    roster_commands,
    schedule_commands,
    serve,
)
from service.cli_help import localized
from service.cli_support import Phrases, templates
from service.cli_usage import usage_lines
from service.context import default_context
from service.settings import Settings

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
    *review_commands.COMMANDS,
]:
    cli.add_command(command)


def main() -> None:
    try:
        # Help is shown while the command line is parsed: the commands get theirs first.
        localized(cli, _language()).main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(EXIT_FAILED)
    except click.UsageError as exc:
        for line in usage_lines(exc, _language()):
            click.echo(line, err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ConsultaError as exc:
        for line in error_lines(exc, _language()):
            click.echo(line, err=True)
        sys.exit(EXIT_REFUSED if isinstance(exc, ProcedureError | RosterError) else EXIT_FAILED)
    except (OperationalError, DBAPIError) as exc:
        words = Phrases(templates(), _language())
        click.echo(words("database_unreachable", detail=exc.orig), err=True)
        sys.exit(EXIT_FAILED)
    except OSError as exc:
        detail = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
        click.echo(Phrases(templates(), _language())("failed", detail=detail), err=True)
        sys.exit(EXIT_FAILED)


def error_lines(exc: ConsultaError, language: Language) -> list[str]:
    """The error in the reader's language: the typed error's phrase and fields, rendered here
    (the English message of the exception is shown only in English, and only as a last resort)."""
    words = Phrases(templates(), language)
    if isinstance(exc, RosterError):
        # The problems name the file's own entries and fields (``contacts[3].emails[0]``).
        return [words("roster_invalid", source=exc.source), *(f"  - {p}" for p in exc.problems)]
    if isinstance(exc, ProcedureError) and words.has(exc.phrase):
        return [words("error", text=words(exc.phrase, **exc.values))]
    if isinstance(exc, ProcedureError):
        return [words("error", text=words("refused", detail=str(exc)))]
    return [words("failed", detail=str(exc))]


def _language() -> Language:
    """--lang from the command line, else the configured language (errors are shown after
    click has given up its context)."""
    args = sys.argv[1:]
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args) and args[index + 1] in ("es", "en"):
            return Language(args[index + 1])
        if arg.startswith("--lang=") and arg[7:] in ("es", "en"):
            return Language(arg[7:])
    try:
        return Settings().language
    except ValueError:  # settings that do not validate: their own error comes next
        return Language.EN
