"""A tiny authoritative DNS server on a loopback UDP port: TXT records a test sets, real packets."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import cast

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


@dataclass
class DnsServer:
    host: str
    port: int
    txt: dict[str, str] = field(default_factory=dict)  # "sel._domainkey.gt.example." -> text
    queries: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().lower()
        self.queries.append(name)
        text = self.txt.get(name)
        if text is None or question.rdtype != dns.rdatatype.TXT:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response.to_wire()
        # TXT character-strings are at most 255 octets each (RFC 1035 §3.3.14).
        chunks = " ".join(f'"{text[i : i + 255]}"' for i in range(0, len(text), 255))
        response.answer.append(
            dns.rrset.from_text(question.name, 60, dns.rdataclass.IN, dns.rdatatype.TXT, chunks)
        )
        return response.to_wire()


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's UDP transport has DatagramTransport's methods, not its class.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(self.server.answer(data), addr)


@contextlib.asynccontextmanager
async def running_dns() -> AsyncIterator[DnsServer]:
    loop = asyncio.get_running_loop()
    server = DnsServer("127.0.0.1", 0)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Protocol(server), local_addr=("127.0.0.1", 0)
    )
    try:
        server.port = transport.get_extra_info("sockname")[1]
        yield server
    finally:
        transport.close()
