"""Staging folders of ingests killed part-way (SIGKILL, OOM) do not pile up: the next ingest
that runs alone removes them, and an ingest still running keeps its folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from services.ingest.bar_store import BarStore
from services.ingest.service import IngestService
from services.ingest.store import TradeStore
from tests.integration.ingest.helpers import SPOT, SYMBOL

# Enters a staging folder, fills it, says where, then waits to be killed.
_KILLED_INGEST = """
import sys, time
from pathlib import Path
from services.ingest.store import TradeStore
with TradeStore(Path(sys.argv[1])).staging() as folder:
    (folder / "2024-08-08.part000000.parquet").write_bytes(b"x" * 1_000_000)
    print(folder, flush=True)
    time.sleep(600)
"""


def test_a_killed_ingests_folder_is_removed_by_the_next_ingest(data_dir: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_INGEST, str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[3],
    )
    try:
        assert child.stdout is not None
        left_over = Path(child.stdout.readline().strip())
        assert left_over.is_dir()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert left_over.is_dir()  # nothing cleans up after SIGKILL

    IngestService(TradeStore(data_dir), BarStore(data_dir)).ingest_file(str(SPOT), SYMBOL)

    assert not left_over.exists()
    assert not list((data_dir / "staging").iterdir())


def test_a_running_ingests_folder_is_left_alone(data_dir: Path) -> None:
    trades = TradeStore(data_dir)
    with trades.staging() as running:  # another ingest, still validating
        (running / "part.parquet").write_bytes(b"x")

        IngestService(trades, BarStore(data_dir)).ingest_file(str(SPOT), SYMBOL)

        assert (running / "part.parquet").read_bytes() == b"x"
        assert [p.name for p in (data_dir / "staging").iterdir()] == [running.name]
    assert not running.exists()
