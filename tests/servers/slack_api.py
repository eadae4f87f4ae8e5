"""A recording Slack Web API on a free loopback port: answers like Slack, fails on request.

The app's ``AsyncWebClient(base_url=…/api/)`` and every ``response_url`` point here. Each call is
kept in order; a test waits for the calls it expects (an asyncio condition, never a sleep),
because Bolt answers Slack first and works after the ack.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.servers.ports import free_port

BOT_USER = "UBOTCONSULTA"


@dataclass(frozen=True)
class Call:
    method: str  # "chat.postMessage"…, or "response_url" for a post to a response URL
    args: dict[str, Any]
    status: int  # what we answered
    ok: bool = True  # False: refused (an HTTP error, or Slack's {"ok": false, "error": …})


@dataclass
class Fault:
    method: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    error: str | None = None  # answered as HTTP 200 {"ok": false, "error": …}, as Slack does


class SlackApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.base_url = ""
        self._changed = asyncio.Condition()
        self._ts = 0
        self._sockets: list[web.WebSocketResponse] = []
        self.held: dict[str, asyncio.Event] = {}  # a method answered only once its event is set
        self._waiting: dict[str, int] = {}  # calls of a held method waiting now
        self.files: dict[str, bytes] = {}  # path → bytes, served at url_private_download
        self.uploads: dict[str, bytes] = {}  # file id → bytes the app uploaded (files_upload_v2)

    def share_file(self, name: str, data: bytes, *, file_id: str) -> dict[str, Any]:
        """Keep ``data`` as a file uploaded in a form; the file object as Slack gives it."""
        path = f"files-pri/T0CRM-{file_id}/download/{name}"
        self.files[path] = data
        url = f"{self.base_url}files-pri/T0CRM-{file_id}/{name}"
        return {
            "id": file_id,
            "created": 1796652000,
            "timestamp": 1796652000,
            "name": name,
            "title": name,
            "mimetype": "application/octet-stream",
            "filetype": name.rpartition(".")[2],
            "pretty_type": name.rpartition(".")[2].upper(),
            "user": "UPPTDO0001",
            "user_team": "T0CRM",
            "editable": False,
            "size": len(data),
            "mode": "hosted",
            "is_external": False,
            "is_public": False,
            "url_private": url,
            "url_private_download": f"{self.base_url}{path}",
            "permalink": f"https://crm.slack.com/files/UPPTDO0001/{file_id}/{name}",
        }

    def response_url(self, name: str) -> str:
        return f"{self.base_url}response/{name}"

    def hold(self, method: str) -> asyncio.Event:
        """Keep ``method`` waiting until the returned event is set (to see who waits for whom)."""
        self.held[method] = asyncio.Event()
        return self.held[method]

    def waiting(self, method: str) -> int:
        """How many calls of a held ``method`` are waiting for the test to let them go."""
        return self._waiting.get(method, 0)

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope down every open connection, as Slack does."""
        for socket in self._sockets:
            await socket.send_json(envelope)

    def fail(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.faults.append(Fault(method, status, headers, times, error))

    def of(self, method: str) -> list[Call]:
        """The calls of one method that Slack accepted."""
        return [c for c in self.calls if c.method == method and c.ok]

    def calls_of(self, method: str) -> list[Call]:
        """Every call of one method, refused ones included."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, check: Callable[[list[Call]], bool], *, timeout: float = 10.0
    ) -> list[Call]:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: check(self.calls))
        return self.calls

    async def wait_count(self, method: str, count: int, *, timeout: float = 10.0) -> list[Call]:
        await self.wait_for(lambda calls: len(self.of(method)) >= count, timeout=timeout)
        return self.of(method)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        # Some methods send their arguments in the query string (files.completeUploadExternal).
        args = {**request.query, **await _arguments(request)}
        if method in self.held:
            self._waiting[method] = self._waiting.get(method, 0) + 1
            try:
                await self.held[method].wait()
            finally:
                self._waiting[method] -= 1
        fault = next((f for f in self.faults if f.method == method and f.times > 0), None)
        if fault is not None:
            fault.times -= 1
            await self._record(Call(method, args, fault.status, ok=False))
            if fault.error is not None:
                return web.json_response({"ok": False, "error": fault.error}, status=fault.status)
            if fault.status == 429:
                body = {"ok": False, "error": "ratelimited"}
                return web.json_response(body, status=429, headers=fault.headers)
            # Slack's own 5xx pages are HTML, not the usual JSON.
            return web.Response(
                status=fault.status, text="<html>upstream error</html>", content_type="text/html"
            )
        await self._record(Call(method, args, 200))
        return web.json_response(self._answer(method, args))

    async def _response_url(self, request: web.Request) -> web.StreamResponse:
        args = await _arguments(request)
        args["name"] = request.match_info["name"]
        await self._record(Call("response_url", args, 200))
        return web.json_response({"ok": True})

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        """The second step of files_upload_v2: the bytes, to the URL the first step gave."""
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = await request.read()
        await self._record(Call("file_upload", {"file_id": file_id}, 200))
        return web.Response(text="OK - ok")

    async def _file(self, request: web.Request) -> web.StreamResponse:
        """A download of a shared file, recorded with the Authorization header it carried."""
        path = request.path.lstrip("/")
        args = {"path": path, "authorization": request.headers.get("Authorization", "")}
        if path not in self.files:
            await self._record(Call("file_download", args, 404, ok=False))
            return web.Response(status=404, text="file_not_found")
        await self._record(Call("file_download", args, 200))
        return web.Response(body=self.files[path], content_type="application/octet-stream")

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER,
                "bot_id": "BCONSULTA",
                "team_id": "T0CRM",
                "user": "consulta",
                "team": "CRM",
                "url": "https://crm.slack.com/",
            }
        if method == "files.getUploadURLExternal":  # the first step of files_upload_v2
            self._ts += 1
            file_id = f"F{self._ts:08d}"
            return {
                "ok": True,
                "file_id": file_id,
                "upload_url": f"{self.base_url}upload/{file_id}",
            }
        if method == "files.completeUploadExternal":
            files = args.get("files")
            listed = json.loads(files) if isinstance(files, str) else files or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in listed]}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.base_url.replace("http", "ws", 1) + "socket"}
        if method in ("chat.postMessage", "chat.update"):
            channel = str(args.get("channel", ""))
            if channel.startswith("U"):  # a user id: Slack opens the app's DM with them
                channel = "D" + channel[1:]
            self._ts += 1
            ts = args.get("ts") or f"1796652000.{self._ts:06d}"
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": args.get("text")}}
        return {"ok": True}

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        """Socket Mode: hello first, then envelopes pushed by the test; acks are recorded."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await self._record(Call("socket_open", {}, 200))
        await socket.send_json({"type": "hello", "num_connections": 1})
        try:
            async for message in socket:
                if message.type == web.WSMsgType.TEXT:
                    await self._record(Call("socket_ack", json.loads(message.data), 200))
        finally:
            self._sockets.remove(socket)
        return socket

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()


async def _arguments(request: web.Request) -> dict[str, Any]:
    """The Web API takes JSON or a form; Block Kit fields arrive as JSON text in a form."""
    raw = await request.text()
    if request.content_type == "application/json":
        found: dict[str, Any] = json.loads(raw or "{}")
        return found
    # Some methods (files.getUploadURLExternal) carry their arguments in the query string.
    args: dict[str, Any] = {**request.query, **dict(parse_qsl(raw))}
    for key in ("blocks", "view"):
        if isinstance(args.get(key), str):
            args[key] = json.loads(args[key])
    return args


@contextlib.asynccontextmanager
async def slack_api() -> AsyncIterator[SlackApi]:
    api = SlackApi()
    application = web.Application()
    application.add_routes(
        [
            web.post("/api/{method}", api._api),
            web.post("/response/{name}", api._response_url),
            web.get("/socket", api._socket),
            web.get("/files-pri/{path:.+}", api._file),
            web.post("/upload/{file_id}", api._upload),
        ]
    )
    runner = web.AppRunner(application)
    await runner.setup()
    port = free_port()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        api.base_url = f"http://127.0.0.1:{port}/"
        yield api
    finally:
        for event in api.held.values():
            event.set()
        for socket in list(api._sockets):
            await socket.close()
        await runner.cleanup()
