"""Security headers on every console response.

The content security policy allows scripts, styles and images from the console itself only:
no inline script or style anywhere, so an injected ``<script>`` would not run. Frames are
refused (clickjacking). ``Referrer-Policy: no-referrer`` keeps a sign-in link's token out of
any request the page makes. Pages are never cached: they show who is signed in.
"""

from collections.abc import Awaitable, Callable

from aiohttp import web

from web.console import console_of

POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
ALWAYS = {
    "Content-Security-Policy": POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects and refusals carry the headers too
        _add(exc, request, secure=console_of(request).config.secure)
        raise
    _add(response, request, secure=console_of(request).config.secure)
    return response


def _add(response: web.StreamResponse, request: web.Request, *, secure: bool) -> None:
    if response.prepared:  # a live stream set its own before its first byte
        return
    response.headers.update(ALWAYS)
    if secure:
        response.headers["Strict-Transport-Security"] = HSTS
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"


def prepare_headers(response: web.StreamResponse, *, secure: bool) -> None:
    """For a streamed response, which is sent before the middleware sees it."""
    response.headers.update(ALWAYS)
    response.headers["Cache-Control"] = "no-store"
    if secure:
        response.headers["Strict-Transport-Security"] = HSTS
