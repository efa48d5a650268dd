"""The queue workers' warm-up compiles every numba kernel a job runs, with the argument types
the job passes: after it, a real ingest and a real dataset build add no specialisation, so a
forked work horse inherits all it needs (no ~1.2 s first-call cost per job)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, SAMPLE

_SCRIPT = """
import json, sys
from pathlib import Path
from numba.core.registry import CPUDispatcher

from services.features.domain import asof, indicator_matrix, kernels, row_features, window_kernels
from services.features.domain.warm_up import warm_kernels as warm_features
from services.ingest.domain import kernel
from services.ingest.domain.kernel import warm_kernels as warm_ingest

MODULES = (asof, indicator_matrix, kernels, row_features, window_kernels, kernel)

def signatures():
    return {f"{m.__name__}.{name}": len(d.signatures) for m in MODULES
            for name, d in vars(m).items() if isinstance(d, CPUDispatcher)}

warm_ingest()
warm_features()
warmed = signatures()

from services.features.domain.config import FeatureSettings
from services.features.domain.dataset import assemble_dataset
from services.ingest.bar_store import BarStore
from services.ingest.service import IngestService
from services.ingest.store import TradeStore

root = Path(sys.argv[2])
IngestService(TradeStore(root), BarStore(root)).ingest_file(sys.argv[1], "BTCUSDT")
bars = {tf: BarStore(root).read("BTCUSDT", tf).lazy() for tf in ("1m", "5m", "15m", "1h", "4h")}
assemble_dataset(bars, FeatureSettings())
print(json.dumps({"warmed": warmed, "after": signatures()}))
"""


def test_a_real_ingest_and_dataset_build_need_nothing_the_warm_up_did_not_compile(
    tmp_path: Path,
) -> None:
    trades = SAMPLE / "trades" / "kraken_spot_BTCUSDT_20231117_20231122.csv.gz"
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(trades), str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    warmed, after = result["warmed"], result["after"]
    # Kernels called only from other kernels are compiled into them and count no signature.
    used = {name for name, count in after.items() if count}
    assert len(used) >= 15, after  # the kernels were found, and ran
    assert all(warmed[name] for name in used), warmed
    grown = {name: (warmed[name], after[name]) for name in warmed if after[name] != warmed[name]}
    assert not grown, f"kernels compiled again for other argument types: {grown}"
