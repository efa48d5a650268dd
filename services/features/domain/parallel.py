"""Run independent compiled kernels on every core.

The numba kernels release the GIL (`nogil=True`), so plain threads run them at the same time.
Threads rather than numba's `parallel=True`: its default threading layer aborts the process
when two threads launch parallel kernels at once, which a server handling two requests does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache

WORKERS = os.cpu_count() or 1


@cache
def _pool() -> ThreadPoolExecutor:
    # Created on first use (nothing starts at import time) and shared by every caller.
    return ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="features-kernels")


# A forked child (RQ's work horse) inherits the pool but not its threads: it starts its own.
os.register_at_fork(after_in_child=_pool.cache_clear)


def run_all(tasks: Sequence[Callable[[], None]]) -> None:
    """Run every task, several at a time, and return when all are done.

    Tasks must be independent (each writes its own output). Thread-safe; must not be called
    from inside a task. Raises: the first exception a task raised.
    """
    if WORKERS == 1 or len(tasks) <= 1:
        for task in tasks:
            task()
        return
    for _ in _pool().map(_call, tasks):
        pass


def _call(task: Callable[[], None]) -> None:
    task()
