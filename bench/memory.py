"""Peak memory of a trade CSV ingest against the file's size: writes a CSV of --gb gigabytes
(sorted trades over 31 days), ingests it in a child process and reports the child's peak RSS.

.venv/bin/python -m bench.memory [--gb 5] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.files import write_big_trade_csv

CHILD = """
import sys
from pathlib import Path
from services.ingest.service import IngestService
from services.ingest.bar_store import BarStore
from services.ingest.store import TradeStore
root = Path(sys.argv[2])
result = IngestService(TradeStore(root), BarStore(root)).ingest_file(sys.argv[1], "BTCUSDT")
print(result.rows_stored, result.bars_1m)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gb", type=float, default=5.0)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-mem-", dir=args.dir))
    try:
        csv = work / "big.csv"
        size = write_big_trade_csv(csv, args.gb)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(csv), str(work / "data")],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rows, bars = done.stdout.split()
        print(f"{size / 1e9:.2f} GB CSV, {int(rows):,} trades -> {int(bars):,} 1m bars in "
              f"{seconds:.0f} s ({size / 1e6 / seconds:.0f} MB/s); peak RSS "
              f"{peak_kb / 1e6:.2f} GB ({peak_kb * 1e3 / size:.2f} x the file)")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
