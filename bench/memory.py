"""Peak memory of a trade CSV ingest against the file's size: writes a CSV of --gb gigabytes
(sorted trades over 31 days), ingests it in a child process and reports the child's peak RSS.

.venv/bin/python -m bench.memory [--gb 5] [--dir /tmp]
.venv/bin/python -m bench.memory --gz-rows 5000000   # the end-to-end benchmark's gzip file
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.files import write_big_trade_csv, write_trade_csv

CHILD = """
import sys
from pathlib import Path
from services.ingest.service import IngestService
from services.ingest.bar_store import BarStore
from services.ingest.store import TradeStore
root = Path(sys.argv[2])
result = IngestService(TradeStore(root), BarStore(root)).ingest_file(sys.argv[1], "BTCUSDT")
# VmHWM: this process's own peak RSS. The parent's getrusage(RUSAGE_CHILDREN) would not do:
# Linux carries the forking parent's high-water mark across exec into the child's maxrss.
status = Path("/proc/self/status").read_text()
peak_kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
print(result.rows_stored, result.bars_1m, peak_kb)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gb", type=float, default=5.0)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument(
        "--gz-rows",
        type=int,
        default=0,
        help="instead: a gzip of this many trades in one day (held in memory)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-mem-", dir=args.dir))
    try:
        if args.gz_rows:
            csv = write_trade_csv(work / "trades.csv.gz", args.gz_rows)
            size = csv.stat().st_size
        else:
            csv = work / "big.csv"
            size = write_big_trade_csv(csv, args.gb)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(csv), str(work / "data")],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        rows, bars, peak = done.stdout.split()
        peak_kb = int(peak)
        kind = "gzip" if args.gz_rows else "CSV"
        print(f"{size / 1e9:.2f} GB {kind}, {int(rows):,} trades -> {int(bars):,} 1m bars in "
              f"{seconds:.0f} s ({size / 1e6 / seconds:.0f} MB/s); peak RSS "
              f"{peak_kb / 1e6:.2f} GB ({peak_kb * 1e3 / size:.2f} x the file)")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
