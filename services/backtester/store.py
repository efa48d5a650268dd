"""Backtest reports under the data root: reports/{run_id}/report.json and report.html.

Each file is written beside its target and renamed into place, so a reader (the gateway)
never sees half a report. Re-running with the same run_id replaces that run's files, which
keeps a retried job idempotent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.common.errors import InvalidInput, NotFound
from services.common.files import write_bytes_atomic

REPORTS_DIR = "reports"
JSON_NAME = "report.json"
HTML_NAME = "report.html"
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$")
"""What the gateway serves under /api/v1/reports/{run_id}/ (no separators, no leading dot)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ReportPaths:
    run_id: str
    json_path: Path
    html_path: Path


def default_run_id(symbol: str, model_version: str, now: datetime) -> str:
    """`{symbol}-{model_version}-{UTC yyyymmddHHMMSS}`, with anything unsafe in a path or URL
    (e.g. the `+` of a version) replaced by `_`."""
    stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    raw = f"{symbol}-{model_version}-{stamp}"
    return _UNSAFE.sub("_", raw).lstrip("._-")[:200]


def check_run_id(run_id: str) -> str:
    """Return `run_id` if it is a safe folder name, else raise InvalidInput."""
    if not RUN_ID_PATTERN.match(run_id):
        raise InvalidInput(
            f"run_id {run_id!r} must be 1-200 characters of letters, digits, '.', '_', '+', '-' "
            "and start with a letter or digit"
        )
    return run_id


class ReportStore:
    """Reads and writes reports. Thread-safe: every write is an independent atomic rename."""

    def __init__(self, data_dir: Path) -> None:
        self._root = Path(data_dir) / REPORTS_DIR

    def paths(self, run_id: str) -> ReportPaths:
        folder = (self._root / check_run_id(run_id)).resolve()
        return ReportPaths(run_id, folder / JSON_NAME, folder / HTML_NAME)

    def write(self, run_id: str, report: dict[str, Any], page: str) -> ReportPaths:
        """Write both files (HTML first, so report.json appearing means the run is complete).

        Raises InvalidInput for an unsafe run_id or a report holding NaN/inf.
        """
        paths = self.paths(run_id)
        try:
            document = json.dumps(report, indent=2, allow_nan=False)
        except ValueError as exc:
            raise InvalidInput(f"report of {run_id} holds a non-finite number: {exc}") from exc
        paths.json_path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(paths.html_path, page.encode())
        write_bytes_atomic(paths.json_path, (document + "\n").encode())
        return paths

    def read(self, run_id: str) -> dict[str, Any]:
        """The report.json of `run_id`; raises NotFound if there is none."""
        path = self.paths(run_id).json_path
        try:
            loaded: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            raise NotFound(f"no backtest report for run {run_id!r}") from None
        return loaded
