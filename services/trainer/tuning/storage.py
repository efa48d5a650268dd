"""Where a study lives: the study folder's SQLite file (one process) or a shared database
(several workers), with the heartbeat that turns a dead worker's trial into a retried copy.

The heartbeat's timings are operations settings (TRADY_TUNING_HEARTBEAT_S and
TRADY_TUNING_GRACE_S on the trainer), not part of the ML config: they describe the machines
and the network, not the study, and a study's results never depend on them.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from services.common.errors import InvalidInput
from services.research import study_files

APPLICATION_PREFIX = "trady-tuning"
"""PostgreSQL's application_name of a study connection: `trady-tuning:<pid>@<host>`, so
pg_stat_activity shows which worker process holds which connection."""
SETUP_PREFIX = "trady-tuning-setup"
"""application_name of the short-lived connections that prepare a shared store at start."""
NAME_MAX = 63  # PostgreSQL truncates application_name to NAMEDATALEN - 1 bytes


@dataclass(frozen=True)
class Heartbeat:
    """A running trial writes a heartbeat every `interval_s`; one silent for `grace_s` is
    failed by whichever worker looks next and re-queued as a waiting copy with the same
    params, at most `max_retries` times per original trial.

    The grace must cover the longest pause of a live worker's heartbeat thread (a stalled
    machine, a database failover): a live trial failed by mistake makes its worker's job fail
    when it reports its result.
    """

    interval_s: int = 10
    grace_s: int = 30
    max_retries: int = 2

    def __post_init__(self) -> None:
        if self.interval_s < 1 or self.grace_s <= self.interval_s or self.max_retries < 0:
            raise InvalidInput(
                f"tuning heartbeat: need interval >= 1 s, grace > interval and retries >= 0, "
                f"got interval {self.interval_s} s, grace {self.grace_s} s, "
                f"retries {self.max_retries}"
            )


def application_name(prefix: str = APPLICATION_PREFIX) -> str:
    """This process's name on its database connections (the pid first: a long host name is
    what gets cut off)."""
    return f"{prefix}:{os.getpid()}@{socket.gethostname()}"[:NAME_MAX]


def storage(
    study_dir: Path, url: str = "", heartbeat: Heartbeat | None = None
) -> optuna.storages.RDBStorage:
    """The study's storage: `url` (e.g. postgresql://...) or the folder's SQLite file.

    Pools are bounded so many workers do not exhaust a server: one connection, checked before
    use (a server restart or an idle timeout leaves dead ones in a pool), and one overflow
    for the heartbeat thread, which writes while a trial's connection is held (with none,
    optuna's own start-up deadlocks on the pool). So a worker process holds at most two
    connections to the study's database. Not thread-safe beyond what optuna's storage is.
    """
    beat = heartbeat or Heartbeat()
    target = url or f"sqlite:///{study_dir / study_files.STUDY_DB}"
    # Heartbeats are marked experimental in optuna; they are what makes a killed worker's
    # trial fail and come back, so we use them and keep the warning out of users' output.
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    kwargs: dict[str, Any] = {}
    if not url:
        kwargs = _sqlite_engine_kwargs(study_dir / study_files.STUDY_DB)
    elif not target.startswith("sqlite"):
        kwargs = {"pool_size": 1, "max_overflow": 1, "pool_pre_ping": True}
    if target.startswith("postgresql"):
        kwargs["connect_args"] = {"application_name": application_name()}
    if target.startswith("postgresql://"):  # the driver we ship, as the registry's engine uses
        target = "postgresql+psycopg://" + target[len("postgresql://") :]
    return optuna.storages.RDBStorage(
        target,
        engine_kwargs=kwargs,
        heartbeat_interval=beat.interval_s,
        grace_period=beat.grace_s,
        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
            max_retry=beat.max_retries
        ),
    )


def _sqlite_engine_kwargs(path: Path) -> dict[str, Any]:
    """The embedded study file in WAL mode with `synchronous=NORMAL`: a commit no longer waits
    for the disk (optuna commits every suggested parameter; each waited ~6 ms here, ~4% of a
    trial). A killed process loses nothing committed and the file stays consistent; an OS
    crash or power cut may lose the last commits, i.e. re-run the last trial."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def connect() -> sqlite3.Connection:
        # Pooled connections move between threads (the heartbeat thread writes too).
        connection = sqlite3.connect(path, check_same_thread=False, timeout=30.0)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    return {"creator": connect}
