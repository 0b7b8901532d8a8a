"""Django's WSGI application served from an ASGI server on a pool of threads (calldesk/asgi.py).

One hop per request: the body is read on the event loop, the whole WSGI call (middleware, view,
rendering, closing the response, which returns the database connection) runs on one pool thread,
and the answer goes back to the loop. A streamed answer (static files, exports) is pulled in
pieces of up to `PIECE_BYTES`, every piece on the thread that started the call, which keeps it
until the answer is sent or the client has gone: Django's database connections belong to a
thread, and an export's pieces come from a cursor in a transaction of that thread's connection
(pulled on another thread, they ended the transaction of another connection, and left the first
one closed under a later request). Written here instead of using a general adapter because that
adapter's per-message thread hops cost about 0.6 ms of CPU per request (docs/serving.md).
"""

from __future__ import annotations

import asyncio
import io
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

PIECE_BYTES = 256 * 1024
# Bodies larger than this are refused before Django sees them (Django's own, smaller limits
# answer most oversized posts first; this bounds what one request can hold in memory).
MAX_BODY_BYTES = 64 * 1024 * 1024

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _environ(scope: dict[str, Any], body: bytes) -> dict[str, Any]:
    server = scope.get("server") or ("127.0.0.1", 80)
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode().decode("latin-1"),
        # PEP 3333: a native string holding the path's bytes (Django decodes it as UTF-8 again).
        "PATH_INFO": scope["path"].encode().decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "REMOTE_ADDR": str(client[0]),
        "SERVER_PROTOCOL": "HTTP/" + scope.get("http_version", "1.1"),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + name
        if key in environ:
            value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        environ[key] = value
    return environ


class _Call:
    """One WSGI call, run on a pool thread."""

    def __init__(self, app: WSGIApp, environ: dict[str, Any]) -> None:
        self.app = app
        self.environ = environ
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.result: Iterable[bytes] = ()
        self.chunks: Iterator[bytes] = iter(())
        # A streamed answer: released by the loop when it has sent a piece (the thread then
        # pulls the next one), or when the client has gone (`gone`: the thread closes the call).
        self.room = threading.Semaphore(0)
        self.gone = False

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
        self.status = int(status.split(" ", 1)[0])
        self.headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        return self._write_unsupported

    def _write_unsupported(self, data: bytes) -> None:
        raise NotImplementedError("write() is not supported; Django never calls it")

    def serve(self, deliver: Callable[[tuple[bytes, bool] | BaseException], object]) -> None:
        """The whole call on this one thread: each piece (and whether it is the last), or what
        the call raised, goes to `deliver`; after a piece that is not the last, the next one is
        pulled when the loop has room for it."""
        try:
            piece, last = self.start()
            deliver((piece, last))
            while not last:
                self.room.acquire()
                if self.gone:
                    self.close()
                    return
                piece, last = self.pull()
                deliver((piece, last))
        except BaseException as error:  # (start and pull have closed the call) raised again on the loop
            deliver(error)

    def start(self) -> tuple[bytes, bool]:
        try:
            self.result = self.app(self.environ, self.start_response)
            self.chunks = iter(self.result)
        except BaseException:
            self.close()
            raise
        return self.pull()

    def pull(self) -> tuple[bytes, bool]:
        """The next piece of the body, and whether it was the last (then the call is closed,
        here, on the call's one thread)."""
        piece = bytearray()
        try:
            for chunk in self.chunks:
                piece += chunk
                if len(piece) >= PIECE_BYTES:
                    return bytes(piece), False
        except BaseException:
            self.close()
            raise
        self.close()
        return bytes(piece), True

    def close(self) -> None:
        close, self.result = getattr(self.result, "close", None), ()
        if close is not None:
            close()  # Django's request_finished: database connections of this thread go back


class ThreadedWSGI:
    def __init__(self, app: WSGIApp, threads: int) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="calldesk-pages")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_BODY_BYTES:
                await send({"type": "http.response.start", "status": 413, "headers": []})
                await send({"type": "http.response.body", "body": b"Request body too large."})
                return
            if not message.get("more_body", False):
                break
        loop = asyncio.get_running_loop()
        call = _Call(self.app, _environ(scope, bytes(body)))
        pieces: asyncio.Queue[tuple[bytes, bool] | BaseException] = asyncio.Queue()
        # (Not run_in_executor: its future would wake the loop once more when the thread returns,
        # which is only waited for when the answer was not sent whole.)
        served = self.pool.submit(call.serve, lambda item: loop.call_soon_threadsafe(pieces.put_nowait, item))
        sent = False
        try:
            piece, last = _piece(await pieces.get())
            await send({"type": "http.response.start", "status": call.status, "headers": call.headers})
            while not last:
                await send({"type": "http.response.body", "body": piece, "more_body": True})
                call.room.release()
                piece, last = _piece(await pieces.get())
            await send({"type": "http.response.body", "body": piece})
            sent = True
        finally:
            if not sent:  # the browser went away in the middle of a streamed answer, or it failed
                call.gone = True
                call.room.release()
                await asyncio.wrap_future(served)  # the thread has closed the call


def _piece(item: tuple[bytes, bool] | BaseException) -> tuple[bytes, bool]:
    if isinstance(item, BaseException):
        raise item
    return item
