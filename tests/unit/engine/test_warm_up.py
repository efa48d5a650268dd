"""The warm-up compiles every engine kernel with the argument types a real run passes, so a
forked work horse compiles nothing."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

_SCRIPT = """
import json
import numpy as np, polars as pl
from numba.core.registry import CPUDispatcher
from services.engine import gate, inputs, kernel, metrics, robustness
from services.engine.warm_up import warm_kernels

def signatures():
    modules = (gate, inputs, kernel, metrics, robustness)
    return {f"{m.__name__}.{n}": len(d.signatures) for m in modules
            for n, d in vars(m).items() if isinstance(d, CPUDispatcher)}

warm_kernels()
warmed = signatures()
from services.engine.rule import EvRule
from services.engine.simulate import simulate
rng = np.random.default_rng(1)
n = 200
c = 100 + np.cumsum(rng.normal(0, 0.2, n))
bars = pl.DataFrame({"open_time": np.arange(n) * 300_000, "open": c, "high": c + 0.3,
                     "low": c - 0.3, "close": c})
detail = pl.DataFrame({"open_time": np.arange(5 * n) * 60_000, "open": np.repeat(c, 5),
                       "high": np.repeat(c + 0.3, 5), "low": np.repeat(c - 0.3, 5),
                       "close": np.repeat(c, 5)})
signals = pl.DataFrame({"open_time": np.arange(0, n, 3)[::-1] * 300_000,
                        "p_long": rng.random(len(range(0, n, 3))), "atr": 0.5})
result = simulate(bars, signals, EvRule(k_tp=2, k_sl=1), detail)
metrics.summarize(result)
robustness.assess(result, samples=50, runs=10)
simulate(bars, signals.with_columns(p_short=pl.lit(None, pl.Float64)), EvRule(k_tp=2, k_sl=1))
gate.gate_sides(signals["p_long"].to_numpy(), signals["p_long"].to_numpy(),
                signals["atr"].to_numpy(), c[::3], EvRule(k_tp=2, k_sl=1))
print(json.dumps({"warmed": warmed, "after": signatures()}))
"""


def test_real_runs_need_nothing_the_warm_up_did_not_compile() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    warmed, after = result["warmed"], result["after"]
    assert warmed["services.engine.kernel.run_kernel"] == 1
    assert warmed == after, f"compiled again for other argument types: {warmed} -> {after}"
