"""Regenerate services/contracts from proto/ (run via `make proto`).

protoc emits `from trady.v1 import x_pb2`; we rewrite that to the package path
`services.contracts.trady.v1` so the generated code imports without touching sys.path.
With --check, nothing is written and the exit code says whether the committed code is stale.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[1]
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "services" / "contracts"
IMPORT_RE = re.compile(r"^from trady\.v1 import", re.MULTILINE)


def generate(target: Path) -> None:
    """Run protoc for every .proto under proto/ into `target`, then fix imports."""
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_DIR}",
        f"-I{include}",
        f"--python_out={target}",
        f"--pyi_out={target}",
        f"--grpc_python_out={target}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for path in target.rglob("*.py*"):
        text = IMPORT_RE.sub("from services.contracts.trady.v1 import", path.read_text())
        path.write_text(text)
    for pkg in {p.parent for p in target.rglob("*_pb2.py")} | {target / "trady"}:
        (pkg / "__init__.py").write_text("")
    (target / "__init__.py").write_text(
        '"""Generated gRPC contracts: do not edit (make proto)."""\n'
    )


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text()
        for p in folder.rglob("*")
        if p.is_file() and p.suffix in {".py", ".pyi"}
    }


def main() -> int:
    check = "--check" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        if check:
            stale = snapshot(fresh) != snapshot(OUT_DIR)
            if stale:
                print("services/contracts is stale: run `make proto`", file=sys.stderr)
            return 1 if stale else 0
        if OUT_DIR.exists():
            shutil.rmtree(OUT_DIR)
        shutil.copytree(fresh, OUT_DIR)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
