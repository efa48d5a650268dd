"""Trials/hour of one study on the demo's 91 days: 1 worker, then 2 worker processes sharing
the study on PostgreSQL, the same trial count and seed, in the same run.

.venv/bin/python -m bench.tuning_workers [--trials 16] [--workers 1 2] [--threads 0]
    [--rows 131040] [--rounds 400] [--tpe 100 1000 3000]

Data and config as bench/tuning.py: the bundled 91 days of BTCUSDT 1m candles, features built
once, the example config's tuning section. Per worker count: a fresh PostgreSQL database
(created through TRADY_BENCH_PG_DSN, default the tests' postgresql://postgres@127.0.0.1:5432/
test, and dropped after); this process is the first worker (the use case the `tune` job
runs), the others are processes started once the study exists, each joining it (the
`tune_trials` job's use case) until it holds the count. Trials/hour = finished trials / (the
last trial's completion - the first trial's start), from the study's own stamps: the
candidates' re-fit afterwards is outside it, a helper's start-up inside. `--threads N` fixes
LightGBM's num_threads per worker (0: LightGBM's default, one per core).

Also printed, to see where the time goes: trials per worker, the mean trial's wall time and
LightGBM seconds (a different sampler history draws different trees, so the work per trial
differs between runs), and the first worker's SQL statements per trial and their time (every
statement its process sent while trials ran, the heartbeat thread's included). `--tpe` times
one TPE ask over the search space's 19 parameters in an in-memory study already holding n
trials: the sampler's own cost, which grows with the study.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.tuning import CONFIG, store_bars
from services.features.main import load_default_config
from services.features.service import FeatureService
from services.features.store import DatasetStore
from services.ingest.bar_store import BarStore
from services.trainer.tuning.shared import FINISHED, WORKER_ATTR, worker_name
from services.trainer.tuning.usecase import TuneRequest, join, tune

PG_DSN = os.environ.get("TRADY_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
STUDY = "bench"


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    name = f"trady_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_DSN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


class StatementClock:
    """The SQL statements this process sends through any SQLAlchemy engine, and their time.
    Counts from the heartbeat thread may race a trial's (an occasional lost increment)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, *_args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, *_args: Any) -> None:
        self.seconds += time.perf_counter() - conn.info["bench_started"].pop()
        self.count += 1


def config_text(rounds: int, threads: int) -> str:
    extra = f"      num_boost_round: {rounds}\n" + (
        f"      num_threads: {threads}\n" if threads else ""
    )
    return CONFIG.read_text().replace(
        "    model:\n      learning_rate:", f"    model:\n{extra}      learning_rate:"
    )


def helper(root: str, config: str, url: str, target: int) -> None:
    """A second worker (its own process): join the study until it holds `target` trials."""
    request = TuneRequest("BTCUSDT", trials=1, study=STUDY, config_yaml=config, storage_url=url)
    join(
        request, target, datasets=DatasetStore(Path(root)), models_dir=Path(root) / "models",
        server_config_yaml=config,
    )  # fmt: skip


def run(
    root: Path, config: str, workers: int, trials: int, clock: StatementClock
) -> dict[str, Any]:
    spawn = multiprocessing.get_context("spawn")  # a clean process, as a worker on a machine
    started: list[multiprocessing.process.BaseProcess] = []

    def helpers(target: int) -> None:
        for _ in range(workers - 1):
            process = spawn.Process(target=helper, args=(str(root), config, url, target))
            process.start()
            started.append(process)

    marks: dict[str, tuple[int, float]] = {}

    def progress(_fraction: float, message: str) -> None:
        # the study reports these two right before its first and after its last trial
        if message.startswith(f"study {STUDY}:") or message.startswith("scoring"):
            marks[message.split()[0]] = (clock.count, clock.seconds)

    with fresh_database() as url:
        request = TuneRequest(
            "BTCUSDT", trials=trials, study=STUDY, config_yaml=config, storage_url=url,
            workers=workers,
        )  # fmt: skip
        tune(
            request, datasets=DatasetStore(root), models_dir=root / f"models-{workers}",
            server_config_yaml=config, progress=progress, helpers=helpers,
        )  # fmt: skip
        for process in started:
            process.join()
        study_trials = optuna.load_study(study_name=STUDY, storage=url).get_trials()
    done = [t for t in study_trials if t.state in FINISHED]
    first = min(t.datetime_start for t in done if t.datetime_start)
    last = max(t.datetime_complete for t in done if t.datetime_complete)
    span = (last - first).total_seconds()
    mine = [t for t in done if t.user_attrs.get(WORKER_ATTR, worker_name()) == worker_name()]
    statements = marks["scoring"][0] - marks["study"][0]
    sql_s = marks["scoring"][1] - marks["study"][1]
    walls = [(t.datetime_complete - t.datetime_start).total_seconds() for t in done]  # type: ignore[operator]
    return {
        "workers": workers,
        "finished": len(done),
        "per_worker": sorted(
            (
                sum(t.user_attrs.get(WORKER_ATTR) == w for t in done)
                for w in {t.user_attrs.get(WORKER_ATTR) for t in done}
            ),
            reverse=True,
        ),  # fmt: skip
        "span_s": span,
        "per_hour": 3600 * len(done) / span,
        "mean_trial_s": statistics.mean(walls),
        "lightgbm_s": statistics.mean(float(t.user_attrs.get("lightgbm_seconds", 0)) for t in done),
        "statements": statements / max(len(mine), 1),
        "sql_ms": 1000 * sql_s / max(len(mine), 1),
    }


def tpe_ask_ms(n: int, repeats: int = 5) -> float:
    """Median ms of one TPE ask of 19 float params with `n` complete trials stored."""
    space: dict[str, optuna.distributions.BaseDistribution] = {
        f"p{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(19)
    }
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1), direction="maximize")
    rng = np.random.default_rng(1)
    study.add_trials(
        optuna.trial.create_trial(
            params={k: float(rng.random()) for k in space},
            distributions=space,
            value=float(rng.random()),
        )  # fmt: skip
        for _ in range(n)
    )
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        trial = study.ask(fixed_distributions=space)
        times.append(time.perf_counter() - begin)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)  # not a history for the next
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=131_040)
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=0, help="LightGBM num_threads (0: all)")
    parser.add_argument("--tpe", type=int, nargs="*", default=[100, 1000, 3000])
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    config = config_text(args.rounds, args.threads)
    clock = StatementClock()
    threads = args.threads or "default"
    print(
        f"rows {args.rows:,}, {args.trials} trials per study, LightGBM threads {threads}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store_bars(root, args.rows)
        FeatureService(BarStore(root), DatasetStore(root), load_default_config(CONFIG)).build(
            "BTCUSDT", 0, 0, config
        )
        for workers in args.workers:
            r = run(root, config, workers, args.trials, clock)
            print(
                f"{r['workers']} worker(s): {r['finished']} trials {r['per_worker']} in "
                f"{r['span_s']:.1f} s -> {r['per_hour']:,.0f} trials/hour; mean trial "
                f"{r['mean_trial_s']:.2f} s, LightGBM {r['lightgbm_s']:.2f} s/trial; first "
                f"worker: {r['statements']:.0f} SQL statements, {r['sql_ms']:.0f} ms per trial; "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    for n in args.tpe:
        print(f"TPE ask, {n:,} trials stored: {tpe_ask_ms(n):.1f} ms", flush=True)


if __name__ == "__main__":
    main()
