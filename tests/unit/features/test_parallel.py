from __future__ import annotations

import os
import signal

import pytest

from services.features.domain.parallel import run_all


def test_every_task_runs_and_a_failure_is_raised() -> None:
    done: list[int] = []
    run_all([lambda i=i: done.append(i) for i in range(20)])
    assert sorted(done) == list(range(20))

    def fail() -> None:
        raise RuntimeError("kernel failed")

    with pytest.raises(RuntimeError, match="kernel failed"):
        run_all([lambda: None, fail, lambda: None])


def test_a_forked_child_runs_tasks_with_its_own_threads() -> None:
    run_all([lambda: None, lambda: None])  # the parent's pool exists before the fork
    pid = os.fork()
    if pid == 0:  # child: would hang on the parent's pool, whose threads it does not have
        signal.alarm(20)  # a hang kills the child, and the assertion below fails
        done: list[int] = []
        run_all([lambda: done.append(1), lambda: done.append(2)])
        os._exit(0 if sorted(done) == [1, 2] else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
