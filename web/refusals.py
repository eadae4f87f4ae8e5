"""A refusal of the procedure as one sentence in the viewer's language (the web's error edge).

The sentences are shared, not copied: a typed error names its phrase (``ProcedureError.phrase``)
and the command line's phrasebook (``templates/cli/phrases.*``) says it; the few that point to a
command (``consulta review show``…) are said the console's way in ``templates/web/pages.*``.
A draft file that cannot be read is said as Slack says it (``templates/slack/phrases.*``).
"""

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from jinja2 import Environment, UndefinedError

from consultation.errors import NotFound, ProcedureError
from consultation.uploads import Unreadable
from consultation.vocabulary import Language
from web.console import console_of
from web.render import page
from web.viewer import viewer_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def sentence(env: Environment, language: Language, error: ProcedureError) -> str:
    """The error's sentence; the console's general one when it names no phrase of ours."""
    for book in _books(env, language):
        macro = getattr(book, error.phrase, None) if error.phrase else None
        if macro is None:
            continue
        try:
            return str(macro(**error.values)).strip()
        except (TypeError, UndefinedError):  # values that do not fit: the general sentence
            break
    return str(_books(env, language)[0].refused_generic()).strip()


def said(handler: Handler) -> Handler:
    """A page whose address names something the procedure does not know (an unknown
    consultation or message) answers with that sentence, not an error of the server."""

    @functools.wraps(handler)
    async def answered(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ProcedureError as exc:
            viewer = viewer_of(request)
            if viewer is None:
                raise
            words = sentence(console_of(request).env, viewer.language, exc)
            status = 404 if isinstance(exc, NotFound) else 409
            return page(request, "web/sorry.html", status=status, said=words)

    return answered


def unreadable(env: Environment, language: Language, reason: Unreadable) -> str:
    book: Any = env.get_template(f"slack/phrases.{language.value}.txt").module
    return str(book.unreadable_file(reason=reason.value)).strip()


def _books(env: Environment, language: Language) -> list[Any]:
    return [
        env.get_template(f"web/pages.{language.value}.html").module,
        env.get_template(f"cli/phrases.{language.value}.txt").module,
    ]
