"""The IMAP half of the development mail server: pymap's in-memory backend, one user, in-process.

pymap is a real IMAP4rev1 server (IDLE, UIDPLUS, MOVE), so the service's listener talks to it as
it would to Dovecot or Exchange. Mail is put into it the way an MTA's delivery agent would, by an
IMAP APPEND over its own connection (`Depositor`), which is also what wakes a listener in IDLE.
"""

import argparse
import asyncio
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from typing import Any

import aioimaplib
from proxyprotocol.reader import ProxyProtocolReader
from proxyprotocol.sock import SocketInfo
from pymap.backend.dict import DictBackend
from pymap.backend.dict.mailbox import MailboxData
from pymap.concurrent import Event, Subsystem
from pymap.imap import IMAPServer, IMAPService
from pymap.selected import SelectedMailbox

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds for one IMAP command of the depositor


class DeliveryFailed(Exception):
    """The IMAP server refused or dropped an APPEND: the SMTP side answers 451 (try later)."""


async def start_imap(
    stack: AsyncExitStack, *, host: str, port: int, user: str, password: str
) -> int:
    """pymap on ``host:port`` (0: a free port) until ``stack`` closes; returns the port.

    pymap's own `IMAPService.start` binds by itself and keeps the listening server to itself; we
    bind the socket first, so a port of 0 is known before anyone connects, and we keep every
    connection's task, so closing the stack ends them rather than leaving them to the loop.
    """
    _announce_pending_changes_on_idle()
    # The password hash (PBKDF2, ~0.1 s) runs in one thread of our own, shut down on close.
    hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="devmail-hash")
    stack.callback(hashing.shutdown, wait=False, cancel_futures=True)
    backend, config = await DictBackend.init(
        _arguments(host=host, port=port, user=user, password=password),
        cpu_subsystem=Subsystem.for_threading(hashing),
    )
    config.apply_context()
    await backend.start(stack)
    server = IMAPServer(backend.login, config)
    connections: set[asyncio.Task[None]] = set()

    async def connection(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, info: SocketInfo
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections.add(task)
        try:
            await server(reader, writer, info)
        finally:
            connections.discard(task)

    listening = _listening_socket(host, port)
    callback = ProxyProtocolReader(config.proxy_protocol).get_callback(connection)
    imap = await asyncio.start_server(callback, sock=listening)
    stack.push_async_callback(_close, imap, connections)
    bound: int = listening.getsockname()[1]
    return bound


_update_selected = MailboxData.update_selected


async def _update_selected_at_once_if_changed(
    self: MailboxData, selected: SelectedMailbox, *, wait_on: Event | None = None
) -> SelectedMailbox:
    """pymap 0.36's in-memory mailbox, asked for changes in IDLE, waits for the *next* change,
    so a message APPENDed between the client's last command and its IDLE is announced only when
    another one arrives (the service's listener would sit on a reply for minutes). Changes
    already there are announced at once, as Dovecot does when IDLE starts."""
    if wait_on is not None and selected.mod_sequence != self._mod_sequences.highest:
        wait_on = None
    return await _update_selected(self, selected, wait_on=wait_on)


def _announce_pending_changes_on_idle() -> None:
    # Replaced on the class: pymap builds its mailboxes deep inside a session, with no hook.
    MailboxData.update_selected = _update_selected_at_once_if_changed  # type: ignore[method-assign]


def _listening_socket(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that
    # say so, and with Nagle on, each two-line IMAP answer waited ~40 ms for a delayed ACK.
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen()
    except OSError:
        listening.close()
        raise
    return listening


def _arguments(*, host: str, port: int, user: str, password: str) -> argparse.Namespace:
    """pymap builds its configuration from command-line arguments; we give it ours."""
    parser = argparse.ArgumentParser(prog="pymap")
    parser.add_argument("--debug", action="store_true")
    parser.set_defaults(passlib_cfg=None)  # pymap's own hashing (PBKDF2), no passlib file
    IMAPService.add_arguments(parser)
    backends = parser.add_subparsers(dest="backend")
    DictBackend.add_subparser("dict", backends)
    # "--name=value": a value may begin with "-" (a generated password often does).
    given = [f"--host={host}", f"--port={port}", "--no-tls", "dict"]
    return parser.parse_args([*given, f"--demo-user={user}", f"--demo-password={password}"])


async def _close(server: asyncio.Server, connections: set[asyncio.Task[None]]) -> None:
    server.close()
    for task in list(connections):
        task.cancel()
    await asyncio.gather(*connections, return_exceptions=True)
    await server.wait_closed()


class Depositor:
    """One IMAP connection that APPENDs delivered mail, reopened if the server dropped it."""

    def __init__(self, *, host: str, port: int, user: str, password: str) -> None:
        self._where, self._user, self._password = (host, port), user, password
        self._client: Any = None  # aioimaplib ships no type information
        self._lock = asyncio.Lock()

    async def ensure_mailbox(self, name: str) -> None:
        async with self._lock:
            client = await self._connected()
            response = await client.create(name)
            if response.result != "OK" and b"exists" not in b" ".join(_lines(response)).lower():
                raise DeliveryFailed(f"IMAP CREATE {name} refused: {_text(response)}")

    async def append(self, raw: bytes, mailbox: str) -> None:
        async with self._lock:
            try:
                client = await self._connected()
                response = await client.append(raw, mailbox=mailbox)
            except (OSError, TimeoutError, aioimaplib.Abort, aioimaplib.CommandTimeout) as exc:
                self._client = None
                raise DeliveryFailed(f"IMAP APPEND failed: {exc}") from exc
            if response.result != "OK":
                raise DeliveryFailed(f"IMAP APPEND refused: {_text(response)}")

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            await client.logout()
        except (OSError, TimeoutError, aioimaplib.Abort, aioimaplib.CommandTimeout):
            log.debug("IMAP depositor: the server went before LOGOUT")

    async def _connected(self) -> Any:
        if self._client is not None and self._client.get_state() in ("AUTH", "SELECTED"):
            return self._client
        host, port = self._where
        client = aioimaplib.IMAP4(host=host, port=port, timeout=TIMEOUT)
        await client.wait_hello_from_server()
        response = await client.login(self._user, self._password)
        if response.result != "OK":
            await client.logout()
            raise DeliveryFailed(f"IMAP LOGIN refused for {self._user}: {_text(response)}")
        self._client = client
        return client


def _lines(response: Any) -> list[bytes]:
    return [bytes(line) for line in response.lines if isinstance(line, bytes | bytearray)]


def _text(response: Any) -> str:
    return b" ".join(_lines(response)).decode("utf-8", "replace")
