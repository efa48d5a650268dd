"""Background reading and ordered parallel mapping: everything in order, errors raised in the
caller at their turn, no thread left running after the caller is done."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing

import pytest

from services.common.errors import InvalidInput
from services.ingest.read_ahead import map_ahead, read_ahead


def _threads(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive()]


def test_items_arrive_in_order_from_another_thread() -> None:
    producers: set[str] = set()

    def numbers() -> Iterator[int]:
        for i in range(50):
            producers.add(threading.current_thread().name)
            yield i

    with read_ahead(numbers(), depth=2, name="ra-order") as items:
        assert list(items) == list(range(50))
    assert producers == {"ra-order"}
    assert not _threads("ra-order")


def test_an_error_in_the_thread_is_raised_in_the_caller_after_the_items_before_it() -> None:
    def failing() -> Iterator[bytes]:
        yield b"one"
        yield b"two"
        raise InvalidInput("f.csv.gz: the gzip stream is truncated (it ends after 2 lines)")

    seen = []
    with (
        pytest.raises(InvalidInput, match=r"^f\.csv\.gz: the gzip stream is truncated"),
        read_ahead(failing(), name="ra-error") as items,
    ):
        for item in items:
            seen.append(item)
    assert seen == [b"one", b"two"]
    assert not _threads("ra-error")


def test_leaving_early_stops_the_thread_and_closes_the_source() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    with (
        pytest.raises(RuntimeError, match="caller failed"),
        read_ahead(endless(), depth=1, name="ra-leave") as items,
    ):
        assert next(items) == 0
        raise RuntimeError("caller failed")
    assert closed.is_set()  # the source's cleanup ran before the block was left
    assert not _threads("ra-leave")


def test_map_ahead_keeps_order_while_items_overlap() -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def slow_square(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02 if n % 2 else 0.001)  # odd items finish after the next even one
        with lock:
            running -= 1
        return n * n

    results = list(map_ahead(slow_square, iter(range(10)), workers=2))

    assert results == [(n, n * n) for n in range(10)]
    assert most == 2


def test_map_ahead_raises_the_first_failure_in_item_order() -> None:
    def check(n: int) -> int:
        if n == 3:
            time.sleep(0.05)  # item 4 fails first in time; item 3 is still reported first
            raise InvalidInput("line 3")
        if n == 4:
            raise InvalidInput("line 4")
        return n

    done = []
    with pytest.raises(InvalidInput, match="^line 3$"):
        for n, _ in map_ahead(check, iter(range(10)), workers=2):
            done.append(n)
    assert done == [0, 1, 2]
    assert not _threads("map-ahead")


def test_map_ahead_closed_early_waits_for_the_running_items() -> None:
    finished = []

    def work(n: int) -> int:
        time.sleep(0.02)
        finished.append(n)
        return n

    with closing(map_ahead(work, iter(range(100)), workers=2)) as results:
        assert next(results) == (0, 0)
    started_before_close = len(finished)
    assert started_before_close <= 3
    time.sleep(0.1)
    assert len(finished) == started_before_close  # nothing ran on after the close
    assert not _threads("map-ahead")
