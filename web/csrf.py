"""Cross-site request forgery: every unsafe request must carry this browser's token.

A synchroniser token: the session's (kept in the store), or before sign-in the one signed into
the visitor's cookie. Forms carry it as the hidden field ``csrf``, scripts as the
``X-CSRF-Token`` header. A request whose ``Origin`` names another site is refused before that.
Every page renders the token (``render.page``), so a form needs only ``{{ csrf_field() }}``.
"""

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from web.auth import CSRF
from web.console import console_of
from web.viewer import Refused

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FIELD = "csrf"
HEADER = "X-CSRF-Token"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in UNSAFE and not await _genuine(request):
        raise Refused("csrf")
    return await handler(request)


async def _genuine(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    allowed = {console_of(request).config.origin, f"{request.scheme}://{request.host}"}
    # "null": our own pages send that, since Referrer-Policy is no-referrer; the token decides.
    if origin not in (None, "null") and origin not in allowed:
        return False
    sent = request.headers.get(HEADER)
    if sent is None:
        form = await request.post()  # cached: the handler reads the same form
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    expected = str(request.get(CSRF) or "")
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())
