"""The heaviest reply of issue #13 (about 20 MB, 12 .docx with thousands of tracked changes):
its read time inline and in the reader pool, and how long a ``/healthz`` on the same event loop
takes to answer while it is read each way.

    python3 -m uv run --locked python -m bench.heavy_reply
"""

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage

import aiohttp
from aiohttp import web

from mail.reader_pool import InlineReader, PoolBounds, PooledReader, Reader
from mail.reading import Reading
from tests.mail.heavy_reply import heavy_reply
from tests.servers.ports import free_port

PARAGRAPHS = ["Primer párrafo del proyecto.", "Segundo párrafo del proyecto."]


def message() -> bytes:
    reply = EmailMessage()
    reply["From"] = "puntofocal@cancilleria.gt.example"
    reply["To"] = "consultas@crm.example"
    reply["Subject"] = "RE: [CRM-2026-001 v1] Proyecto"
    reply["Message-ID"] = "<heavy@cancilleria.gt.example>"
    reply.set_content("Van nuestras propuestas en los adjuntos.")
    return heavy_reply(reply)


async def healthz_while(
    read: Callable[[], Awaitable[Reading]], port: int
) -> tuple[float, list[float]]:
    """The read's wall time, and each /healthz latency measured while it ran."""
    latencies: list[float] = []
    async with aiohttp.ClientSession() as http:
        task = asyncio.ensure_future(read())
        start = time.perf_counter()
        while not task.done():
            asked = time.perf_counter()
            async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                await answer.read()
            latencies.append(time.perf_counter() - asked)
            await asyncio.sleep(0.05)
        await task
        return time.perf_counter() - start, latencies


async def main() -> None:
    raw = message()
    print(f"message: {len(raw) / 1e6:.1f} MB")
    app = web.Application()
    app.router.add_get("/healthz", lambda _r: _ok())
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    pooled = PooledReader(PoolBounds(workers=1, timeout_seconds=300, memory_mb=2048))
    await pooled.read(b"Subject: warm-up\r\n\r\nok", [])  # the worker's start-up, not the read's
    readers: list[tuple[str, Reader]] = [("inline", InlineReader()), ("pool", pooled)]
    try:
        for name, reader in readers:
            wall, latencies = await healthz_while(lambda r=reader: r.read(raw, PARAGRAPHS), port)
            print(
                f"{name:6}: read {wall:.2f} s; /healthz answered {len(latencies)} times, "
                f"median {statistics.median(latencies) * 1000:.1f} ms, "
                f"max {max(latencies) * 1000:.1f} ms"
            )
    finally:
        await pooled.close()
        await runner.cleanup()


async def _ok() -> web.Response:
    return web.Response(text="ok")


if __name__ == "__main__":
    asyncio.run(main())
