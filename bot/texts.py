"""Words for Slack from the phrasebooks in templates/slack/, in the reader's language."""

from typing import Any

from jinja2 import Environment

from consultation.vocabulary import Language


def escape(text: str) -> str:
    """Slack mrkdwn treats ``&``, ``<`` and ``>`` as control characters (links, mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Phrases:
    """``phrases(language).sent(id=…, deadline=…)``: one Jinja macro per sentence."""

    def __init__(self, env: Environment) -> None:
        self._env = env

    def __call__(self, language: Language) -> "Phrasebook":
        return Phrasebook(self._env.get_template(f"slack/phrases.{language.value}.txt").module)


class Phrasebook:
    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> "_Macro":
        return _Macro(getattr(self._module, name))


class _Macro:
    def __init__(self, macro: Any) -> None:
        self._macro = macro

    def __call__(self, **values: Any) -> str:
        return str(self._macro(**values)).strip()
