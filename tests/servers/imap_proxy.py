"""A loopback TCP proxy in front of an IMAP server that misbehaves on request.

Dovecot itself is well-behaved; real servers are not. Through this proxy a test can make the
server answer `IDLE` with `* BYE` (as some do instead of `+ idling`), or make a connection go
silent without closing (a NAT or firewall that forgot it), which only a watchdog can notice.
"""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

_IDLE_COMMAND = re.compile(rb"^[^ ]+ IDLE\r\n", re.IGNORECASE)


@dataclass
class _Link:
    """One client connection and its upstream twin."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    silent: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def close(self) -> None:
        self.client.close()
        self.upstream.close()


class ImapProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.connections = 0
        self.idle_commands = 0
        self.bytes_to_client = 0  # what the server sent: proves what was (not) downloaded
        self._upstream = (upstream_host, upstream_port)
        self._links: list[_Link] = []
        self._bye_on_idle = 0
        self._server: asyncio.Server | None = None

    @property
    def open_connections(self) -> int:
        return sum(1 for link in self._links if not link.client.is_closing())

    def bye_on_idle(self, times: int = 1) -> None:
        """The next `times` IDLE commands get `* BYE` and a closed connection instead."""
        self._bye_on_idle += times

    def go_silent(self) -> None:
        """Open connections stop carrying bytes either way, but stay open."""
        for link in self._links:
            link.silent = True

    def drop_all(self) -> None:
        for link in self._links:
            link.close()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self.drop_all()
        tasks = [task for link in self._links for task in link.tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for link in self._links:
            for writer in (link.client, link.upstream):
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.close()
            return
        link = _Link(writer, up_writer)
        self._links.append(link)
        link.tasks = [
            asyncio.create_task(self._pump(link, reader, up_writer, from_client=True)),
            asyncio.create_task(self._pump(link, up_reader, writer, from_client=False)),
        ]

    async def _pump(
        self,
        link: _Link,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        from_client: bool,
    ) -> None:
        with contextlib.suppress(OSError):
            while chunk := await reader.read(65536):
                if link.silent:
                    continue
                if from_client and _IDLE_COMMAND.match(chunk):
                    self.idle_commands += 1
                    if self._bye_on_idle:
                        self._bye_on_idle -= 1
                        link.client.write(b"* BYE Idle not allowed now\r\n")
                        break
                if not from_client:
                    self.bytes_to_client += len(chunk)
                writer.write(chunk)
                await writer.drain()
        link.close()


@contextlib.asynccontextmanager
async def running_proxy(upstream_host: str, upstream_port: int) -> AsyncIterator[ImapProxy]:
    proxy = ImapProxy(upstream_host, upstream_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()
