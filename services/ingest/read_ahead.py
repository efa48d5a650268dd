"""Run an iterator in a background thread, a bounded number of items ahead of its consumer,
so that producing the next chunk of a file (inflating gzip, cutting lines) overlaps the
caller's work on the current one. Inflating (isal), numba kernels and polars all release the
GIL, so on two cores the two threads really run at once."""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_POLL_SECONDS = 0.05  # how soon a blocked producer notices that the consumer has left


class _Item(Generic[T]):
    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


@contextmanager
def read_ahead(
    items: Iterator[T], depth: int = 1, name: str = "read-ahead"
) -> Iterator[Iterator[T]]:
    """Yield an iterator over `items`, which a daemon thread draws up to `depth` items ahead.

    An exception raised by `items` is raised again in the consumer, at the point where the
    item it prevented would have arrived (the items before it are still delivered first).
    Leaving the `with` block, normally or by an exception, stops the thread and waits for it,
    so nothing `items` holds (an open file, say) is used after the block. `items` must not be
    used by anyone else meanwhile. Memory: at most `depth` finished items wait, plus the one
    being produced.
    """
    slots: queue.Queue[object] = queue.Queue(depth)
    leaving = threading.Event()

    def offer(message: object) -> bool:
        while not leaving.is_set():
            try:
                slots.put(message, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(_Item(item)):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, who raises it
            offer(_Failed(error))
            return
        finally:
            close = getattr(items, "close", None)  # a generator: run its cleanup here, now
            if close is not None:
                close()
        offer(_END)

    def consume() -> Iterator[T]:
        while True:
            message = slots.get()
            if message is _END:
                return
            if isinstance(message, _Failed):
                raise message.error
            assert isinstance(message, _Item)
            yield message.value

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        yield consume()
    finally:
        leaving.set()
        thread.join()


def map_ahead(
    function: Callable[[T], R], items: Iterator[T], workers: int = 2
) -> Generator[tuple[T, R], None, None]:
    """(item, function(item)) for each of `items`, in order, computed by up to `workers`
    threads at once.

    For work that releases the GIL in parts (polars, numba): while one item is in a
    single-threaded stretch, the next uses the idle core. An exception raised for an item
    is raised when that item's turn comes (items before it are yielded first); then, or when
    the consumer stops early, the items still running are waited for.
    """
    with ThreadPoolExecutor(workers, thread_name_prefix="map-ahead") as pool:
        running: deque[tuple[T, Future[R]]] = deque()
        try:
            for item in items:
                running.append((item, pool.submit(function, item)))
                if len(running) >= workers:
                    done, future = running.popleft()
                    yield done, future.result()
            while running:
                done, future = running.popleft()
                yield done, future.result()
        finally:
            for _, future in running:
                future.cancel()
