"""How many connections each process holds to a PostgreSQL database while a test runs,
sampled from pg_stat_activity (study connections are named `trady-tuning:<pid>@<host>`)."""

from __future__ import annotations

import threading
from collections import Counter
from types import TracebackType

import psycopg

EVERY_S = 0.05


class ConnectionWatch:
    """A thread that samples the connections to the database of `url` every EVERY_S seconds
    and keeps, per application_name, the most seen at once (`peak`). Its own connection is
    left out."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._database = url.rsplit("/", 1)[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak: Counter[str] = Counter()
        self.samples = 0

    def __enter__(self) -> ConnectionWatch:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        with psycopg.connect(self._url, autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute(
                    "SELECT application_name, count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid() GROUP BY 1",
                    (self._database,),
                ).fetchall()
                for name, count in rows:
                    self.peak[name] = max(self.peak[name], int(count))
                self.samples += 1
                self._stop.wait(EVERY_S)
