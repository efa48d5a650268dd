"""Parse deploy/Procfile: the one list of the processes that make up the stack."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

PROCFILE = Path(__file__).resolve().parents[2] / "deploy" / "Procfile"


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: tuple[str, ...]

    @property
    def service(self) -> str:
        """The service package this process runs (`python -m services.ingest.main work` ->
        `ingest`)."""
        module = self.argv[self.argv.index("-m") + 1]
        return module.split(".")[1]


def read_procfile(path: Path = PROCFILE) -> list[ProcessSpec]:
    specs = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not command.strip():
            raise ValueError(f"{path} line {number}: expected 'name: command'")
        specs.append(ProcessSpec(name.strip(), tuple(shlex.split(command))))
    return specs
