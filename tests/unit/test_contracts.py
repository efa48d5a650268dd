import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_generated_contracts_are_up_to_date() -> None:
    """services/contracts must be exactly what `make proto` produces from proto/."""
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_proto.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr


def test_every_service_has_a_contract() -> None:
    names = {p.stem for p in (REPO / "proto" / "trady" / "v1").glob("*.proto")}
    assert {"common", "ingest", "features", "trainer", "backtester", "predictor"} <= names
