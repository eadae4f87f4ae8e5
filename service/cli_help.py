"""`consulta --help` in the reader's language.

The English help is in the code (docstrings, ``help=``), where Click looks for it. For Spanish
the command tree is given the texts of ``templates/cli/help.es.toml`` before Click parses the
command line (help is shown while parsing): each command's help, each option's, the names of
values in the usage lines (CONSULTA, not CONSULTATION_ID), and Click's own words, which Click
writes in English through gettext with no Spanish catalogue shipped: the headings and the
usage prefix by the formatter, the help option's text on that option, and the two notes Click
appends to an option's help ("[default: …]", "[required]") by the formatter, which knows their
exact form.
"""

import copy
import re
import tomllib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import click

from consultation.vocabulary import Language
from templates import TEMPLATES


@lru_cache(maxsize=2)
def catalogue(language: Language) -> dict[str, Any] | None:
    """The help texts for ``language``, or None where the code's own (English) are used."""
    path = TEMPLATES / "cli" / f"help.{language.value}.toml"
    if language is Language.EN or not path.exists():
        return None
    with path.open("rb") as source:
        return tomllib.load(source)


def localized(root: click.Group, language: Language) -> click.Group:
    """``root`` with every command under it helped in ``language``: a copy, so the commands
    as written (and their English) stay as they are for whoever else uses them."""
    texts = catalogue(language)
    if texts is None:
        return root
    copied = copy.deepcopy(root)
    for path, command in commands(copied):
        _command(command, texts, texts["commands"][path], dict(copied.context_settings))
    return copied


def commands(root: click.Command, path: str = "") -> Iterator[tuple[str, click.Command]]:
    """Every command with its path after the root's name ("" for the root, "roster import")."""
    yield path, root
    if isinstance(root, click.Group):
        for name, command in sorted(root.commands.items()):
            yield from commands(command, f"{path} {name}".strip())


def _command(
    command: click.Command, texts: dict[str, Any], own: dict[str, Any], settings: dict[str, Any]
) -> None:
    words = texts["click"]
    command.help = own["help"]
    command.short_help = None  # made from the help again, in its language
    command.options_metavar = words["options_metavar"]
    if isinstance(command, click.Group):
        command.subcommand_metavar = words["subcommand_metavar"]
    command.context_class = _context_class(words)
    # the option Click makes for "-h/--help", with the names the root's settings give it
    help_option = command.get_help_option(click.Context(command, **settings))
    if help_option is not None:
        help_option.help = words["help_option"]
    for param in command.params:
        if isinstance(param, click.Option):
            param.help = own.get("options", {})[param.name]
            param.metavar = own.get("metavars", {}).get(param.name) or _metavar(param, texts)
        elif isinstance(param, click.Argument) and param.name in texts["arguments"]:
            param.metavar = texts["arguments"][param.name]


def _metavar(option: click.Option, texts: dict[str, Any]) -> str | None:
    """The value's name in the reader's language; None keeps Click's (a choice lists its
    values, a flag has none)."""
    if option.metavar is not None or option.is_flag or isinstance(option.type, click.Choice):
        return option.metavar
    named: str | None = texts["types"].get(option.type.name)
    return named


def _words(words: dict[str, str]) -> dict[str, str]:
    """Click's English headings as its formatter receives them, and the reader's."""
    return {
        "Options": words["options"],
        "Commands": words["commands"],
        "Positional arguments": words["arguments"],
    }


def _context_class(words: dict[str, str]) -> type[click.Context]:
    formatter = type("Formatter", (_Formatter,), {"words": words})
    return type("Context", (click.Context,), {"formatter_class": formatter})


class _Formatter(click.HelpFormatter):
    """Click's formatter, saying Click's own words in the reader's language."""

    words: dict[str, str]

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, self.words["usage"] if prefix is None else prefix)

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        with super().section(_words(self.words).get(name, name)):
            yield

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        super().write_dl([(term, self._notes(text)) for term, text in rows], col_max, col_spacing)

    def _notes(self, text: str) -> str:
        """Click ends an option's help with its notes in brackets, joined by "; "
        (click.core.Option.get_help_record): "default: X" and "required" are Click's words; a
        range ("x>=1") is said in symbols."""
        found = _NOTES.search(text)
        if found is None:
            return text
        notes = [self._note(note) for note in found.group(1).split("; ")]
        return f"{text[: found.start()]}  [{'; '.join(notes)}]"

    def _note(self, note: str) -> str:
        if note == "required":
            return self.words["required"]
        if note.startswith("default: "):
            return f"{self.words['default']}: {note.removeprefix('default: ')}"
        return note


_NOTES = re.compile(r"  \[([^\[\]]*)\]$")
