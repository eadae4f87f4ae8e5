"""The service's one HTTP port: ``/healthz``, ``/readyz`` and, in HTTP mode, Slack's requests.

- ``/healthz`` (liveness): the process answers, so its event loop is turning. Nothing outside
  is asked: a database outage must not make an orchestrator kill every instance in turn.
- ``/readyz`` (readiness): the database, the SMTP server and the IMAP server can each be used
  now (a probe per check, run together, each bounded by a timeout). 200 when all pass, 503
  otherwise; the JSON body says which failed and why, e.g.
  ``{"ready": false, "checks": {"database": {"ok": true, "ms": 2}, "smtp": {"ok": false,
  "ms": 5, "error": "SMTP mail:587: SMTPConnectError: …"}, "imap": {"ok": true, "ms": 31}}}``.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

Check = Callable[[], Awaitable[None]]
MAX_BODY = 8 * 1024 * 1024


class Readiness:
    """``checks`` decide readiness; ``facts`` only inform (e.g. whether this instance is the
    one reading IMAP now)."""

    def __init__(
        self,
        checks: Mapping[str, Check],
        *,
        timeout: float = 5.0,
        facts: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.checks = dict(checks)
        self.timeout = timeout
        self.facts = facts

    async def report(self) -> dict[str, Any]:
        names = list(self.checks)
        results = await asyncio.gather(*(self._one(self.checks[n]) for n in names))
        checks = dict(zip(names, results, strict=True))
        report = {"ready": all(c["ok"] for c in checks.values()), "checks": checks}
        return report | (self.facts() if self.facts else {})

    async def _one(self, check: Check) -> dict[str, Any]:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                await check()
        except TimeoutError:
            error: str | None = f"no answer within {self.timeout:g}s"
        except Exception as exc:  # noqa: BLE001 - any failure is "not ready", said in the body
            error = str(exc) or type(exc).__name__
        else:
            error = None
        result: dict[str, Any] = {"ok": error is None, "ms": _ms_since(started)}
        if error is not None:
            result["error"] = error
        return result


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def application(
    readiness: Readiness | None = None, routes: Sequence[web.RouteDef] = ()
) -> web.Application:
    """The health checks (without ``readiness``: none, for a front tested alone) and ``routes``."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def readyz(_request: web.Request) -> web.Response:
        assert readiness is not None
        report = await readiness.report()
        return web.json_response(report, status=200 if report["ready"] else 503)

    # Uploads (a draft's .docx on the console) are bigger than aiohttp's 1 MiB default.
    app = web.Application(client_max_size=MAX_BODY)
    if readiness is not None:
        app.add_routes([web.get("/healthz", healthz), web.get("/readyz", readyz)])
    app.add_routes(routes)
    return app


@asynccontextmanager
async def listening(app: web.Application, *, host: str, port: int) -> AsyncIterator[None]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield
    finally:
        await runner.cleanup()
