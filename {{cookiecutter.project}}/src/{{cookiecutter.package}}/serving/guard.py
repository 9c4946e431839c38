"""Limits for hostile or broken clients: the size of what they send, and the time they take.

uvicorn bounds the requests served at once (``limit_concurrency``), idle keep-alive connections
and the graceful shutdown (``launcher.py``), but not the bytes or the time a client takes to
send its headers, nor a body's size or time: trickled headers or bodies hold a connection for
ever, and a 50 MB body is read and parsed whole. ``Protocol``, uvicorn's httptools protocol,
answers 408 to headers not complete within ``HEADER_SECONDS`` of the connection or the request's
first byte, or a body not complete within ``BODY_SECONDS`` of its headers, and 431 to headers
above ``MAX_HEADER_BYTES``; a deadline is set only when a read leaves a request incomplete, so a
request that arrives whole costs no timer. ``Bounded``, an ASGI middleware, reads the body before
the app sees it: 413 as soon as it passes the policy's ``service.max_body_bytes`` (before
reading, when Content-Length says so).
"""

import asyncio
import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

HEADER_SECONDS = 10
BODY_SECONDS = 15
MAX_HEADER_BYTES = 32 * 1024


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with deadlines for a request's headers and body."""

    def connection_made(self, transport) -> None:
        """Start the first request's header deadline at the connection."""
        self.reading_headers, self.reading_body, self.header_bytes = True, False, 0
        self.deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm(HEADER_SECONDS)

    def data_received(self, data: bytes) -> None:
        """Parse ``data``; refuse headers that grow too large, time a request left incomplete."""
        if self.reading_headers:
            self.header_bytes += len(data)
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self.reading_headers:
            if self.header_bytes > MAX_HEADER_BYTES:
                self._refuse(431, f"headers take at most {MAX_HEADER_BYTES} bytes")
            else:
                self._arm(HEADER_SECONDS)
        elif self.reading_body:
            self._arm(BODY_SECONDS)

    def on_message_begin(self) -> None:
        """A request's first byte: its headers are being read."""
        self.reading_headers, self.header_bytes = True, 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        """The headers are complete in time; the body's deadline starts if it is incomplete."""
        self.reading_headers, self.reading_body = False, True
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The body is complete in time: no deadline until the next request."""
        self.reading_body = False
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the deadline with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        if self.deadline is None:
            self.deadline = self.loop.call_later(seconds, self._late, seconds)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _late(self, seconds: float) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started:  # answered already
            self.transport.close()
        elif self.reading_headers or self.reading_body:
            part = "headers" if self.reading_headers else "body"
            self._refuse(408, f"the request {part} did not arrive within {seconds:g} s")

    def _refuse(self, status: int, detail: str) -> None:
        """Answer and close; a request in progress sees the client leave."""
        body = json.dumps({"detail": detail}).encode()
        head = b"content-type: application/json\r\nconnection: close\r\ncontent-length: %d\r\n\r\n"
        self.transport.write(STATUS_LINE[status] + head % len(body) + body)
        self.transport.close()


class TooLarge(Exception):
    """A request body above the limit."""


class Bounded:
    """ASGI middleware: the body read whole within ``max_bytes``, then passed on."""

    def __init__(self, app, max_bytes: int):
        """Wrap ``app``."""
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        """Read the body, or answer 413 without calling the app."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        replay = await self.read(scope, receive, send)
        if replay is not None:
            await self.app(scope, replay, send)

    async def read(self, scope, receive, send):
        """A ``receive`` that gives the app the body, read whole within the limit.

        None when there is nothing left to do: 413 has been sent, or the client left or was too
        slow (``Protocol``).
        """
        headers = scope["headers"]  # a list of pairs: no dict built for each request
        declared = next((value for name, value in headers if name == b"content-length"), b"")
        try:
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise TooLarge
            body = await self._read(receive)
        except TooLarge:
            detail = f"a request body takes at most {self.max_bytes} bytes"
            await _answer(send, 413, detail)
            return None
        if body is None:
            return None
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def replay():
            return pending.pop() if pending else await receive()

        return replay

    async def _read(self, receive) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _answer(send, status: int, detail: str) -> None:
    """A JSON refusal that closes the connection: the rest of the body is never read."""
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
