"""The pages under `calldesk serve` (calldesk/ops/wsgi_pages.py): a streamed answer is pulled,
piece by piece, on the one thread that started it, and closed there.

Django's database connections belong to a thread. An export's pieces come from a cursor in a
transaction of the starting thread's connection: pulled by whichever pool thread was free, a
big export through `calldesk serve` ended another connection's transaction and left its own
closed under the next request on that thread (a 503, "the connection is closed"; found by
bench/throughput_bench.py through the server on PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from calldesk.ops.wsgi_pages import PIECE_BYTES, ThreadedWSGI


class Streamed:
    """A WSGI answer of `pieces` pieces, each as long as the server's: which thread made each,
    and which one closed it."""

    def __init__(self, pieces: int) -> None:
        self.pieces = pieces
        self.made_on: list[int] = []
        self.closed_on: int | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Streamed:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return self

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(self.pieces):
            self.made_on.append(threading.get_ident())
            yield b"x" * PIECE_BYTES

    def close(self) -> None:
        self.closed_on = threading.get_ident()


SCOPE = {"type": "http", "method": "GET", "path": "/reports/", "headers": []}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def _serve(answer: Streamed, leave_after: int | None = None) -> list[dict[str, Any]]:
    """`answer` served on a pool of two threads; while each piece is sent, another request
    takes a free thread for a moment (so a pull handed to "any free thread" lands elsewhere).
    With `leave_after`, the client goes away when that many pieces have been sent."""
    pages = ThreadedWSGI(answer, 2)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            if leave_after is not None and len(sent) > leave_after:
                raise OSError("the client went away")
            pages.pool.submit(time.sleep, 0.05)
        sent.append(message)

    async def run() -> None:
        await pages(SCOPE, _receive, send)

    try:
        asyncio.run(run())
    finally:
        pages.pool.shutdown(wait=True)
    return sent


def test_every_piece_of_a_streamed_answer_is_made_and_closed_on_one_thread() -> None:
    answer = Streamed(4)
    sent = _serve(answer)
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert [m.get("more_body", False) for m in bodies] == [True, True, True, True, False]  # (the last one empty)
    assert sum(len(m["body"]) for m in bodies) == 4 * PIECE_BYTES
    assert len(answer.made_on) == 4
    assert set(answer.made_on) == {answer.closed_on}


def test_a_client_gone_half_way_has_the_answer_closed_on_its_own_thread() -> None:
    answer = Streamed(6)
    with pytest.raises(OSError, match="went away"):
        _serve(answer, leave_after=2)
    assert len(answer.made_on) < 6, "no piece is made once the client has gone"
    assert answer.closed_on is not None
    assert set(answer.made_on) == {answer.closed_on}


def test_an_answer_that_fails_half_way_is_closed_and_the_error_raised() -> None:
    class Failing(Streamed):
        def __iter__(self) -> Iterator[bytes]:
            yield from list(super().__iter__())[:2]
            raise LookupError("the database went away")

    answer = Failing(4)
    with pytest.raises(LookupError, match="database went away"):
        _serve(answer)
    assert answer.closed_on is not None
