"""A backtest job's own time on the demo's data: model, dataset, probabilities, the engine,
robustness, model quality and both report files, phase by phase, as a queue worker runs it.

Run `make demo` first (it leaves its data in var/demo/data), then:
    .venv/bin/python -m bench.backtest_job [--data-dir var/demo/data] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "var" / "demo" / "data")
    parser.add_argument("--symbol", default="BTCUSDT")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mode", choices=["ev", "threshold"], default="ev")
    args = parser.parse_args(argv)
    if not (args.data_dir / "registry.db").exists() and "TRADY_DATABASE_URL" not in os.environ:
        print(f"skipped: no registry in {args.data_dir}; run `make demo` first (or --data-dir)")
        return 0
    os.environ["TRADY_DATA_DIR"] = str(args.data_dir)
    started = time.perf_counter()
    from services.cli.local import local_pipeline

    print(f"imports: {time.perf_counter() - started:.2f} s")
    with local_pipeline() as pipe:
        for run in range(args.runs):
            marks: list[tuple[float, str]] = []
            t0 = time.perf_counter()
            outcome = pipe.backtester.run(
                args.symbol,
                rule={"mode": args.mode},
                progress=lambda _f, message, into=marks: into.append(
                    (time.perf_counter(), message)
                ),
            )
            total = time.perf_counter() - t0
            steps = [f"{m[:22]!r} +{t - (marks[i - 1][0] if i else t0):.2f}s"
                     for i, (t, m) in enumerate(marks)]  # fmt: skip
            print(f"run {run + 1}: {total:.2f} s, {int(outcome.summary['trades'])} trades")
            print("   " + ", ".join(steps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
