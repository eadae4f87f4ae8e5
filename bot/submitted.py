"""What a submitted form says: its fields, and per language a text typed or given as a file."""

from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.texts import Phrasebook
from consultation.errors import InvalidInput
from consultation.texts import Text, paragraphs_from_text
from consultation.uploads import MAX_BYTES, Unreadable, UnreadableUpload, paragraphs_from_upload
from consultation.vocabulary import Language

# Slack waits 3 seconds for the answer to a view_submission, and a field error can only be
# given in that answer: the download must fit well inside it.
_DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=2.0)
# Where Slack serves the files shared in a form. The bot token goes only there: a submitted form
# is the client's data, and a URL naming any other host would hand our token to that host.
SLACK_FILE_HOSTS = frozenset({"files.slack.com"})


class FieldError(Exception):
    """A sentence for one block of the form, already in the user's language."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def values(view: dict[str, Any]) -> dict[str, str | None]:
    """Block id → what was typed or chosen (every element's action_id is ``value``)."""
    found: dict[str, str | None] = {}
    for block_id, elements in view["state"]["values"].items():
        element = elements["value"]
        if element.get("type") == "radio_buttons":
            chosen = element.get("selected_option")
            found[block_id] = chosen["value"] if chosen else None
        else:
            found[block_id] = element.get("value")
    return found


async def text(view: dict[str, Any], client: AsyncWebClient, book: Phrasebook) -> Text:
    """The text in ``text_es``/``text_en``, or in the files of ``file_es``/``file_en``."""
    es = await _paragraphs(view, client, book, Language.ES)
    en = await _paragraphs(view, client, book, Language.EN)
    if not es and not en:
        raise FieldError("text_es", book.no_text())
    try:
        return Text(es=es, en=en)
    except InvalidInput as exc:
        raise FieldError("text_en" if es else "text_es", str(exc)) from exc


async def _paragraphs(
    view: dict[str, Any], client: AsyncWebClient, book: Phrasebook, language: Language
) -> list[str] | None:
    field, upload = f"text_{language.value}", f"file_{language.value}"
    typed = (values(view).get(field) or "").strip()
    files = _files(view, upload)
    # The revise form shows the current text: left as it was, it is not a second text.
    if files and typed and typed != _initial(view, field):
        raise FieldError(upload, book.text_twice(language=language.value))
    if files:
        name = str(files[0].get("name") or "")
        try:
            return paragraphs_from_upload(name, await download(client, files[0]))
        except UnreadableUpload as exc:
            raise FieldError(upload, book.unreadable_file(reason=exc.reason.value)) from exc
    if not typed:
        return None
    try:
        return paragraphs_from_text(typed)
    except InvalidInput as exc:
        raise FieldError(field, str(exc)) from exc


def _files(view: dict[str, Any], block_id: str) -> list[dict[str, Any]]:
    element = view["state"]["values"].get(block_id, {}).get("value", {})
    return list(element.get("files") or [])


def slack_file_url(url: str, *, api_base: str) -> bool:
    """Whether ``url`` is one of Slack's file hosts over HTTPS, or on the Web API's own origin
    (a deployment or a test that points the client at another base URL serves files there)."""
    try:
        parts, api = urlsplit(url), urlsplit(api_base)
        port, api_port = parts.port, api.port
    except ValueError:  # a port that is not a number, a malformed IPv6 literal
        return False
    if parts.username or parts.password:  # "https://files.slack.com@evil.example/" tricks
        return False
    if parts.scheme == "https" and (parts.hostname or "") in SLACK_FILE_HOSTS and port is None:
        return True
    return bool(parts.hostname) and (parts.scheme, parts.hostname, port) == (
        api.scheme,
        api.hostname,
        api_port,
    )


def _initial(view: dict[str, Any], block_id: str) -> str:
    """What the form showed in a text box (the submitted view carries its blocks)."""
    for block in view.get("blocks") or []:
        if block.get("block_id") == block_id:
            return str(block.get("element", {}).get("initial_value") or "").strip()
    return ""


async def download(client: AsyncWebClient, file: dict[str, Any]) -> bytes:
    """A file shared in the form, fetched with the bot token (``files:read``), at most 2 MB."""
    if int(file.get("size") or 0) > MAX_BYTES:
        raise UnreadableUpload(Unreadable.TOO_LARGE)
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    if not url or not slack_file_url(url, api_base=client.base_url):
        raise UnreadableUpload(Unreadable.UNAVAILABLE)
    headers = {"Authorization": f"Bearer {client.token}"}
    data = bytearray()
    try:
        async with (
            aiohttp.ClientSession(timeout=_DOWNLOAD_TIMEOUT) as http,
            http.get(
                url,
                headers=headers,
                proxy=client.proxy,
                ssl=client.ssl if client.ssl is not None else True,
            ) as answer,
        ):
            # Without files:read Slack answers 200 with its sign-in page, not the file.
            if answer.status != 200 or answer.content_type == "text/html":
                raise UnreadableUpload(Unreadable.UNAVAILABLE)
            async for chunk in answer.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > MAX_BYTES:
                    raise UnreadableUpload(Unreadable.TOO_LARGE)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise UnreadableUpload(Unreadable.UNAVAILABLE) from exc
    return bytes(data)
