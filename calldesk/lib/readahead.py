"""Rows read one batch ahead by a thread, so that the database's work overlaps the caller's.

An export reads hundreds of thousands of rows through a server-side cursor (`QuerySet.iterator`
on PostgreSQL): every batch is a round trip in which the server makes the next rows while this
process waits, and then this process turns them into cells while the server waits. A month's CSV
spent about a quarter of its time waiting. With the next batch fetched by a thread (psycopg, like
sqlite3, lets go of the GIL while it waits), the two overlap on a machine's two cores.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from contextlib import nullcontext
from itertools import islice
from typing import Any, TypeVar

from django.db import connections, transaction
from django.db.models import QuerySet

T = TypeVar("T")

# How long the reading thread waits to hand over a batch before it looks whether it is still
# wanted (a download stopped half-way): the longest the caller's `close` waits for it.
_HANDOVER_WAIT = 0.05


def read_ahead(rows: Iterable[T], batch: int) -> Generator[T, None, None]:
    """`rows` as they are, in order, the next `batch` of them read by a thread meanwhile.

    The first batch is read here, by the caller's thread: that opens the cursor on the caller's
    connection (Django's connections belong to the thread that opened them; the thread then only
    fetches from that cursor, which psycopg and sqlite3 allow). The thread has stopped before
    this generator is done, whether it ran to the end, raised or was closed, and `rows` is
    closed then, by the caller's thread: nothing else uses the connection meanwhile."""
    source = iter(rows)
    first = list(islice(source, batch))
    if len(first) < batch:  # all of it: no thread for a short export
        yield from first
        return
    # A batch, and what reading on raised (the rows before it are the caller's all the same).
    handover: queue.Queue[tuple[list[T], BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            chunk: list[T] = []
            failure: BaseException | None = None
            try:
                chunk.extend(islice(source, batch))
            except BaseException as error:  # raised again in the caller's thread
                failure = error
            while not stop.is_set():
                try:
                    handover.put((chunk, failure), timeout=_HANDOVER_WAIT)
                    break
                except queue.Full:
                    continue
            if failure is not None or len(chunk) < batch:
                return

    reader = threading.Thread(target=read, name="read-ahead", daemon=True)
    reader.start()
    try:
        yield from first
        del first
        while True:
            chunk, failure = handover.get()
            yield from chunk
            if failure is not None:
                raise failure
            if len(chunk) < batch:
                return
    finally:
        stop.set()
        reader.join()
        close = getattr(source, "close", None)
        if close is not None:
            close()


def query_ahead(query: QuerySet[Any, T], batch: int) -> Generator[T, None, None]:
    """The rows of a big query, `batch` at a time through a server-side cursor, read ahead.

    On PostgreSQL they are read inside a transaction. Outside one (autocommit), Django declares
    the cursor WITH HOLD, and PostgreSQL then makes every row of the result at the commit that
    follows the declaration, before the first is fetched: a month of reports was 1.6 s of the
    server's time with nothing to overlap. Inside one, the server makes each batch as it is
    fetched, while this process writes the one before. The transaction only reads; it ends
    with the rows (the generator is done or closed)."""
    postgres = connections[query.db].vendor == "postgresql"
    with transaction.atomic(using=query.db) if postgres else nullcontext():
        yield from read_ahead(query.iterator(chunk_size=batch), batch)
