"""Real trainer workers for the tuning tests: `python -m services.trainer.main work`, the
command production runs (an RQ worker on trady:train), as child processes, and waiting for
what they do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[3]
T = TypeVar("T")


def start_worker(env: dict[str, str], log: Path, *, burst: bool = False) -> subprocess.Popen[bytes]:
    """A worker in its own session, so a test can signal its whole group at the end; its
    output goes to `log` (a pipe nobody reads would fill up and stall a long-lived worker)."""
    command = [sys.executable, "-m", "services.trainer.main", "work"]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*command, "--burst"] if burst else command,
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM (RQ's warm shutdown) each worker still alive, SIGKILL what is left after 20 s."""
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)


def wait_for(probe: Callable[[], T | None], timeout_s: float, what: str, every_s: float = 0.1) -> T:
    """The first truthy value of `probe()`; AssertionError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def parent_pid(pid: int) -> int | None:
    """The parent of a live process (Linux /proc), None once it is gone. RQ runs each job in
    a forked work horse, so a trial's process is a child of the worker the test started."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after it
    return int(stat.rsplit(")", 1)[1].split()[1])


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def tail(*logs: Path, chars: int = 3000) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()[-chars:]}" for log in logs if log.exists())
