"""Click's usage errors (unknown command or option, missing argument, bad value) as sentences
in the reader's language.

Click writes these in English itself (through gettext, with no Spanish catalogue shipped), with
its parameter names (CONSULTATION_ID) in them. Here each kind of mistake is said from the
exception's fields (which command, which option, which choices) in the reader's language, the
same way in both, never from Click's own message.
"""

import click
from click.exceptions import (
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoSuchCommand,
    NoSuchOption,
)

from consultation.vocabulary import Language
from service.cli_support import Phrases, templates


def usage_lines(exc: click.UsageError, language: Language) -> list[str]:
    """What went wrong, then where the help is."""
    say = Phrases(templates(), language)
    command = exc.ctx.command_path if exc.ctx is not None else "consulta"
    return [_sentence(exc, say, command), say("usage_help", command=command)]


def _sentence(exc: click.UsageError, say: Phrases, command: str) -> str:
    if isinstance(exc, NoSuchCommand):
        return say(
            "usage_unknown_command",
            command=command,
            unknown=exc.command_name,
            suggestions=exc.possibilities or [],
        )
    if isinstance(exc, NoSuchOption):
        return say(
            "usage_unknown_option",
            command=command,
            option=exc.option_name,
            suggestions=exc.possibilities or [],
        )
    if isinstance(exc, MissingParameter):
        return _missing(exc.param, say, command)
    if isinstance(exc, BadParameter):
        return _bad_value(exc.param, say)
    if isinstance(exc, BadOptionUsage):
        return say("usage_needs_value", option=exc.option_name)
    return say("usage_not_understood", command=command)


def _missing(param: click.Parameter | None, say: Phrases, command: str) -> str:
    if isinstance(param, click.Option):
        return say("usage_missing_option", command=command, option=_option(param))
    return say("usage_missing_argument", command=command, argument=param.name if param else "")


def _bad_value(param: click.Parameter | None, say: Phrases) -> str:
    option = _option(param) if isinstance(param, click.Option) else ""
    name = param.name if param is not None and not option else ""
    kind = param.type if param is not None else None
    if isinstance(kind, click.Choice):
        return say("usage_bad_choice", option=option, argument=name, choices=list(kind.choices))
    if isinstance(kind, click.types.IntParamType):
        return say("usage_bad_number", option=option, argument=name)
    if isinstance(kind, click.DateTime):
        return say("usage_bad_date", option=option, argument=name)
    if isinstance(kind, click.Path | click.File):
        return say("usage_bad_path", option=option, argument=name)
    return say("usage_bad_value", option=option, argument=name)


def _option(param: click.Parameter) -> str:
    longest = max(param.opts, key=len) if param.opts else param.name or ""
    return longest
