"""calldesk.lib.readahead: an export's rows read one batch ahead by a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta

import pytest
from django.db import connection

from calldesk.lib.readahead import query_ahead, read_ahead
from calldesk.reports.models import CallReport
from tests.cast import Cast
from tests.reportdata import NY, make_report


def _readers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "read-ahead"]


class Source:
    """Rows as a generator gives them, saying which thread read each and whether it was closed."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.threads: list[str] = []
        self.closed = False

    def __iter__(self) -> Iterator[int]:
        try:
            for row in range(self.count):
                if row == self.fail_at:
                    raise LookupError(f"row {row} could not be read")
                self.threads.append(threading.current_thread().name)
                yield row
        finally:
            self.closed = True


@pytest.mark.parametrize("count", [0, 3, 4, 5, 12, 13])
def test_every_row_comes_in_order_whatever_the_batches(count: int) -> None:
    source = Source(count)
    assert list(read_ahead(iter(source), 4)) == list(range(count))
    assert source.closed
    assert not _readers()


def test_the_first_batch_is_read_by_the_callers_thread_and_the_rest_by_the_reader() -> None:
    """The first batch opens the cursor: on the caller's connection, since Django's belong to
    the thread that opened them."""
    source = Source(10)
    assert list(read_ahead(iter(source), 4)) == list(range(10))
    assert source.threads[:4] == [threading.current_thread().name] * 4
    assert set(source.threads[4:]) == {"read-ahead"}


def test_a_row_that_cannot_be_read_raises_in_the_caller_after_the_rows_before_it() -> None:
    source = Source(20, fail_at=9)
    seen: list[int] = []
    with pytest.raises(LookupError, match="row 9"):
        for row in read_ahead(iter(source), 4):
            seen.append(row)
    assert seen == list(range(9))
    assert not _readers()


def test_stopping_half_way_stops_the_reader_and_closes_the_rows() -> None:
    """A download stopped half-way: the generator is closed, the reader thread ends before the
    close returns, and the rows (the cursor) are closed."""
    source = Source(1_000)
    rows = read_ahead(iter(source), 4)
    assert [next(rows) for _ in range(6)] == list(range(6))
    rows.close()
    assert source.closed
    assert not _readers()
    assert len(source.threads) < 20, "the reader stops a batch or two ahead, not at the end"


@pytest.mark.postgres
def test_a_query_is_read_in_a_transaction_so_the_server_makes_rows_as_they_are_fetched(
    cast: Cast, transactional_db: None
) -> None:
    """Outside a transaction Django declares its cursor WITH HOLD, and PostgreSQL makes the whole
    result before the first row is sent: nothing left for the reading thread to overlap. In a
    transaction the cursor is not holdable, and the transaction ends with the rows."""
    start = datetime(2026, 1, 1, 9, 0, tzinfo=NY)
    # More rows than the reader can hold ahead of the caller's first batch (one handed over, one
    # waiting to be), so that the cursor is still open when it is looked at: with 12 rows the
    # reader could read to the end, and close it, before the caller looked (CI on c46b4b9).
    for minute in range(40):
        make_report(cast.form_a, cast.specialist, start + timedelta(minutes=minute))
    rows = query_ahead(CallReport.objects.order_by("id").values_list("id", flat=True), 5)
    with closing(rows):  # (were an assertion to fail here, the reader stops all the same)
        first = [next(rows) for _ in range(3)]
        assert connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("SELECT is_holdable FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
            assert cursor.fetchall() == [(False,)]
        assert first + list(rows) == sorted(CallReport.objects.values_list("id", flat=True))
    assert not connection.in_atomic_block and not _readers()
    rows = query_ahead(CallReport.objects.values_list("id", flat=True), 5)
    next(rows)
    rows.close()  # a download stopped half-way
    assert not connection.in_atomic_block and not _readers()
