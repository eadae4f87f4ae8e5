"""A draft's text from a console form: per language typed in a box, or given as a file.

The rules are Slack's form's (``bot/submitted.py``): one language is enough; a language given
both typed and as a file is refused rather than guessed; files are read by the same reader
(``consultation.uploads``: .docx, .txt, .md, up to 2 MB). Refusals are Slack's sentences.
"""

from typing import Any

from aiohttp.web_request import FileField
from jinja2 import Environment
from multidict import MultiDictProxy

from consultation.errors import InvalidInput
from consultation.texts import Text, paragraphs_from_text
from consultation.uploads import MAX_BYTES, Unreadable, UnreadableUpload, paragraphs_from_upload
from consultation.vocabulary import Language
from web.refusals import sentence, unreadable


class DraftRefused(Exception):
    """A sentence for the viewer, already in their language; nothing was changed."""

    def __init__(self, said: str) -> None:
        super().__init__(said)
        self.sentence = said


def draft_text(env: Environment, language: Language, form: MultiDictProxy[Any]) -> Text:
    book: Any = env.get_template(f"slack/phrases.{language.value}.txt").module
    es = _paragraphs(env, language, form, Language.ES, book)
    en = _paragraphs(env, language, form, Language.EN, book)
    if not es and not en:
        raise DraftRefused(str(book.no_text()).strip())
    try:
        return Text(es=es, en=en)
    except InvalidInput as exc:
        raise DraftRefused(sentence(env, language, exc)) from exc


def _paragraphs(
    env: Environment,
    viewer: Language,
    form: MultiDictProxy[Any],
    language: Language,
    book: Any,
) -> list[str] | None:
    typed = str(form.get(f"text_{language.value}") or "").strip()
    upload = form.get(f"file_{language.value}")
    given = isinstance(upload, FileField) and bool(upload.filename)
    if given and typed:
        raise DraftRefused(str(book.text_twice(language=language.value)).strip())
    if given:
        assert isinstance(upload, FileField)
        data = upload.file.read(MAX_BYTES + 1)
        try:
            if len(data) > MAX_BYTES:
                raise UnreadableUpload(Unreadable.TOO_LARGE)
            return paragraphs_from_upload(upload.filename, data)
        except UnreadableUpload as exc:
            raise DraftRefused(unreadable(env, viewer, exc.reason)) from exc
    if not typed:
        return None
    try:
        return paragraphs_from_text(typed)
    except InvalidInput as exc:
        raise DraftRefused(sentence(env, viewer, exc)) from exc
