"""Signing in and out: ask for a link, open it, press the button; sign out."""

from aiohttp import web

from web import auth
from web.console import console_of
from web.render import page
from web.viewer import viewer_of


def routes() -> list[web.RouteDef]:
    return [
        web.get("/sign-in", ask),
        web.post("/sign-in", send_link),
        web.get("/sign-in/link/{token}", open_link),
        web.post("/sign-in/link/{token}", use_link),
        web.post("/sign-out", sign_out),
    ]


async def ask(request: web.Request) -> web.StreamResponse:
    if viewer_of(request) is not None:
        raise web.HTTPSeeOther("/")
    signed_out = request.query.get("out") == "1"
    return page(request, "web/sign_in.html", error=None, signed_out=signed_out)


async def send_link(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    typed = form.get("email")
    address = auth.valid_address(typed if isinstance(typed, str) else "")
    if address is None:
        return page(request, "web/sign_in.html", status=400, error="bad_address", signed_out=False)
    if not await auth.request_link(console_of(request), address, _client(request)):
        return page(request, "web/link_sent.html", status=429, limited=True, minutes=0)
    # The same page whether or not the address is a console user's: nothing is revealed.
    minutes = console_of(request).config.link_minutes
    return page(request, "web/link_sent.html", limited=False, minutes=minutes)


async def open_link(request: web.Request) -> web.StreamResponse:
    holder = await auth.link_holder(console_of(request), request.match_info["token"])
    if holder is None:
        return page(request, "web/link_unusable.html", status=400)
    return page(request, "web/link_confirm.html", holder=holder)


async def use_link(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    session_id = await auth.spend_link(console, request.match_info["token"], _client(request))
    if session_id is None:
        return page(request, "web/link_unusable.html", status=400)
    response = web.HTTPSeeOther("/")
    # A new session id, never the visitor's: a planted cookie cannot become a session.
    auth.set_cookie(response, console.config, {"s": session_id})
    raise response


async def sign_out(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    await auth.sign_out(console, request)
    response = web.HTTPSeeOther("/sign-in?out=1")
    response.del_cookie(auth.cookie_name(console.config), path="/")
    raise response


def _client(request: web.Request) -> str:
    return client_address(
        request.remote,
        request.headers.get("X-Forwarded-For"),
        behind_proxy=console_of(request).config.behind_proxy,
    )


def client_address(peer: str | None, forwarded: str | None, *, behind_proxy: bool) -> str:
    """Who asks, for the limits: the peer, or behind our proxy the address it appended (the
    last hop; earlier ones are whatever the client wrote)."""
    if behind_proxy and forwarded:
        return forwarded.split(",")[-1].strip() or "unknown"
    return peer or "unknown"
