"""Sign-in by emailed link, sessions, sign-out.

- A roster contact whose roles allow the console (``Deed.CONSOLE``: PPT, ST, Troika) asks for a
  link at ``/sign-in``; it goes by email (the outbox, like every notice) to the address typed,
  which must be one of theirs. Every request is recorded, known address or not, so the limits
  (per address, per client IP, in a window) count them all, and the page says the same in
  every case: a stranger learns nothing about the roster.
- The link names a random nonce, signed (itsdangerous), kept with its expiry (15 minutes by
  the injected clock) and spent on first use. Opening the link shows a button; only pressing
  it (a POST) spends the nonce, so a mail scanner that fetches links does not use it up.
- A session is a random id, signed into the cookie; the store keeps its SHA-256, its CSRF
  token, its expiry and its end (sign-out). The cookie is HttpOnly, SameSite=Lax, ``Secure``
  and ``__Host-`` prefixed when the console's address is https.
- Before signing in, a visitor's cookie holds only a signed CSRF token for the sign-in forms.
"""

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from consultation.permissions import Deed, allowed, grants_of
from consultation.vocabulary import Language
from store import queries
from store.tables import ContactRow, WebSessionRow, WebSignInRow
from web.console import Console, WebConfig, console_of
from web.viewer import VIEWER, Viewer

CSRF = web.RequestKey("csrf", str)  # the token this request's forms carry
_FRESH = web.RequestKey("fresh_csrf", str)  # a visitor's new token, to put in their cookie
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def cookie_name(config: WebConfig) -> str:
    # __Host-: the browser keeps it only if Secure, for this host, on path / (no subdomain
    # can plant one).
    return "__Host-consulta" if config.secure else "consulta"


def _signer(config: WebConfig, purpose: str) -> URLSafeSerializer:
    # itsdangerous signs with the last key and verifies with all: ours are newest first.
    return URLSafeSerializer(list(reversed(config.secrets)), salt=f"consulta.web.{purpose}")


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is signed in (``VIEWER``) and the CSRF token of this browser (``CSRF``)."""
    if request.path.startswith("/static/"):
        return await handler(request)
    console = console_of(request)
    cookie = _read_cookie(request, console.config)
    viewer, token = None, None
    if "s" in cookie:
        found = await _session(console, str(cookie["s"]))
        if found is not None:
            viewer, token = found
    if token is None:
        token = str(cookie.get("a") or "")
        if not token:
            token = secrets.token_urlsafe(24)
            request[_FRESH] = token
    request[VIEWER], request[CSRF] = viewer, token
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _visitor_cookie(request, exc, console.config)
        raise
    _visitor_cookie(request, response, console.config)
    return response


def _read_cookie(request: web.Request, config: WebConfig) -> dict[str, Any]:
    raw = request.cookies.get(cookie_name(config))
    if not raw:
        return {}
    try:
        data = _signer(config, "cookie").loads(raw)
    except BadSignature:  # tampered, or signed with a retired secret: a stranger
        return {}
    return data if isinstance(data, dict) else {}


def _visitor_cookie(request: web.Request, response: web.StreamResponse, config: WebConfig) -> None:
    fresh = request.get(_FRESH)
    if fresh and not response.prepared and cookie_name(config) not in response.cookies:
        set_cookie(response, config, {"a": fresh})


def set_cookie(response: web.StreamResponse, config: WebConfig, data: dict[str, str]) -> None:
    response.set_cookie(
        cookie_name(config),
        _signer(config, "cookie").dumps(data),
        path="/",
        httponly=True,
        secure=config.secure,
        samesite="Lax",  # sent when following a link from an email, never on a cross-site POST
    )


async def _session(console: Console, session_id: str) -> tuple[Viewer, str] | None:
    now = console.time.now()
    async with console.db.session() as session:
        row = await session.get(WebSessionRow, _digest(session_id))
        if row is None or row.ended_at is not None or row.expires_at <= now:
            return None
        viewer = await viewer_for(session, row.contact_id)
    return (viewer, row.csrf) if viewer is not None else None


async def viewer_for(session: AsyncSession, contact_id: int) -> Viewer | None:
    """The contact as a viewer, if the roster still lets them into the console."""
    contact = await session.get(ContactRow, contact_id)
    if contact is None or not contact.active:
        return None
    grants = grants_of((r.role, r.party) for r in await queries.roles_of(session, contact_id))
    if not allowed(grants, Deed.CONSOLE):
        return None
    emails = await queries.emails_of(session, contact_id)
    return Viewer(
        contact_id=contact_id,
        name=contact.name,
        email=emails[0].address if emails else "",
        grants=tuple(grants),
        language=Language(contact.language),
        timezone=contact.timezone,
    )


def valid_address(typed: str) -> str | None:
    address = typed.strip().lower()
    return address if _ADDRESS.match(address) and len(address) <= 254 else None


async def request_link(console: Console, address: str, client: str) -> bool:
    """Record the request and, for a console user's address, queue the link. False when a
    limit is reached (nothing is recorded or sent then)."""
    config, now = console.config, console.time.now()
    async with console.db.transaction() as session:
        since = now - timedelta(minutes=config.window_minutes)
        if await _count(session, WebSignInRow.address, address, since) >= config.per_address:
            return False
        if await _count(session, WebSignInRow.client, client, since) >= config.per_client:
            return False
        row = WebSignInRow(address=address, client=client, requested_at=now)
        contact = await queries.contact_by_email(session, address)
        viewer = await viewer_for(session, contact.id) if contact and contact.id else None
        if viewer is not None:
            row.contact_id = viewer.contact_id
            row.nonce = secrets.token_urlsafe(24)
            row.expires_at = now + timedelta(minutes=config.link_minutes)
            await _queue_link(session, console, viewer, address, row.nonce, now)
        session.add(row)
    if row.nonce is not None:
        console.wake_mail()
    return True


async def _count(session: AsyncSession, column: Any, value: str, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(WebSignInRow)
        .where(column == value)
        .where(col(WebSignInRow.requested_at) > since)
    )
    return int((await session.exec(query)).one())


async def _queue_link(
    session: AsyncSession, console: Console, viewer: Viewer, address: str, nonce: str, now: datetime
) -> None:
    token = _signer(console.config, "link").dumps(nonce)
    await journal.queue_email_to_address(
        session,
        kind="sign_in_link",  # templates/email/sign_in_link.*
        address=address,
        language=viewer.language.value,
        at=now,
        key=f"sign-in:{nonce}",
        payload={
            "name": viewer.name,
            "link": f"{console.config.base_url}/sign-in/link/{token}",
            "minutes": console.config.link_minutes,
        },
    )


def _nonce(config: WebConfig, token: str) -> str | None:
    try:
        nonce = _signer(config, "link").loads(token)
    except BadSignature:
        return None
    return nonce if isinstance(nonce, str) else None


async def link_holder(console: Console, token: str) -> Viewer | None:
    """Who a link would sign in, if it is genuine, unused and unexpired (nothing is spent)."""
    nonce = _nonce(console.config, token)
    if nonce is None:
        return None
    async with console.db.session() as session:
        row = await _usable(session, nonce, console.time.now())
        return await viewer_for(session, row.contact_id) if row and row.contact_id else None


async def _usable(session: AsyncSession, nonce: str, now: datetime) -> WebSignInRow | None:
    query = select(WebSignInRow).where(WebSignInRow.nonce == nonce)
    row = (await session.exec(query)).first()
    if row is None or row.used_at is not None or row.expires_at is None or row.expires_at <= now:
        return None
    return row


async def spend_link(console: Console, token: str, client: str) -> str | None:
    """Spend the link and open a session: its id for the cookie, or None (forged, expired,
    used, or its contact no longer allowed in)."""
    nonce = _nonce(console.config, token)
    if nonce is None:
        return None
    now = console.time.now()
    async with console.db.transaction() as session:
        row = await _usable(session, nonce, now)
        if row is None or row.contact_id is None:
            return None
        viewer = await viewer_for(session, row.contact_id)
        if viewer is None:
            return None
        # Spent only if still unspent: of two presses at once, one signs in.
        spent = await session.exec(
            update(WebSignInRow)
            .where(col(WebSignInRow.id) == row.id)
            .where(col(WebSignInRow.used_at).is_(None))
            .values(used_at=now)
        )
        if spent.rowcount != 1:
            return None
        session_id = secrets.token_urlsafe(32)
        session.add(
            WebSessionRow(
                id_hash=_digest(session_id),
                contact_id=viewer.contact_id,
                csrf=secrets.token_urlsafe(24),
                created_at=now,
                expires_at=now + timedelta(hours=console.config.session_hours),
            )
        )
        await journal.record_event(
            session,
            consultation_id=None,
            kind="console_signed_in",
            actor=viewer.actor,
            at=now,
            payload={"client": client},
        )
    return session_id


async def sign_out(console: Console, request: web.Request) -> None:
    cookie = _read_cookie(request, console.config)
    if "s" not in cookie:
        return
    now = console.time.now()
    async with console.db.transaction() as session:
        row = await session.get(WebSessionRow, _digest(str(cookie["s"])))
        if row is not None and row.ended_at is None:
            row.ended_at = now
            session.add(row)
