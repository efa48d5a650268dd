"""Every benchmark of bench/, one after another, each as its own process (`make bench`).

.venv/bin/python -m bench.run            # modest sizes: the whole run takes a few minutes
.venv/bin/python -m bench.run --full     # the documented commands of docs/benchmarks.md
.venv/bin/python -m bench.run --only engine features

Each benchmark's output is printed as it runs; the exit status is non-zero when any of them
failed (the others still run). A module of bench/ that can be run (`if __name__ ==
"__main__"`) but is missing from COMMANDS below is a failure too, so a new benchmark cannot be
left out of `make bench` silently. predict_latency starts the stack, so it needs Redis
(TRADY_REDIS_URL, else db 0 of 127.0.0.1:6379; point it at a db of its own on a shared machine);
tuning_workers needs PostgreSQL (TRADY_BENCH_PG_DSN, else the tests' server on 127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent

# module -> (modest arguments, the documented arguments of docs/benchmarks.md); a module run
# more than once (csv_to_store plain and gzip) has one entry per run.
COMMANDS: list[tuple[str, list[str], list[str]]] = [
    ("bars_in_memory", ["--trades", "2000000", "--repeats", "3"],
     ["--trades", "20000000", "--repeats", "5"]),
    ("csv_to_store", ["--rows", "500000", "--repeats", "2"],
     ["--rows", "5000000", "--repeats", "3"]),
    ("csv_to_store", ["--rows", "500000", "--repeats", "2", "--gz"],
     ["--rows", "5000000", "--repeats", "3", "--gz"]),
    ("memory", ["--gb", "0.2"], ["--gb", "5"]),
    ("memory", ["--gz-rows", "500000"], ["--gz-rows", "5000000"]),
    ("features", ["--rows", "200000", "--repeats", "3"], ["--rows", "1000000", "--repeats", "5"]),
    ("engine", ["--bars", "200000", "--repeats", "3"], ["--bars", "1000000", "--repeats", "5"]),
    ("report_html", ["--bars", "100000", "--loads", "1"], ["--bars", "525600"]),
    ("predict_latency", ["--requests", "300"], ["--requests", "2000"]),
    ("backtest_job", ["--runs", "2"], ["--runs", "3"]),
    ("tuning", ["--rows", "60000", "--trials", "3", "--rounds", "100"], ["--trials", "8"]),
    ("tuning_workers", ["--rows", "60000", "--trials", "4", "--rounds", "100", "--tpe", "100"],
     ["--trials", "16"]),
]  # fmt: skip
NOT_BENCHMARKS = {"run"}  # this runner itself


def runnable_modules() -> set[str]:
    """The modules of bench/ that run as a program (bare_predict is a uvicorn app, not one)."""
    return {
        path.stem
        for path in BENCH.glob("*.py")
        if path.stem not in NOT_BENCHMARKS and 'if __name__ == "__main__":' in path.read_text()
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="the documented (large) sizes")
    parser.add_argument("--only", nargs="+", metavar="MODULE", help="run only these modules")
    args = parser.parse_args()
    listed = {module for module, _, _ in COMMANDS}
    unknown = set(args.only or ()) - listed
    if unknown:
        parser.error(f"no benchmark named {', '.join(sorted(unknown))} (see bench/run.py)")
    failed = [
        f"bench.{name}: not in bench/run.py's COMMANDS" for name in runnable_modules() - listed
    ]
    ran = []
    for module, modest, full in COMMANDS:
        if args.only and module not in args.only:
            continue
        command = [sys.executable, "-m", f"bench.{module}", *(full if args.full else modest)]
        shown = " ".join(["python", *command[1:]])
        print(f"\n=== {shown}", flush=True)
        start = time.perf_counter()
        code = subprocess.run(command, cwd=REPO, check=False).returncode
        seconds = time.perf_counter() - start
        ran.append(f"{'ok' if code == 0 else 'FAILED':<6} {seconds:7.1f} s  {shown}")
        if code != 0:
            failed.append(f"{shown}: exit code {code}")
    print("\n=== summary")
    for line in ran:
        print(f"  {line}")
    for line in failed:
        print(f"error: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
