"""Backtest reports written by the backtester under the shared data root."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from services.gateway.auth import ClientCaller
from services.gateway.deps import DataDir

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

_RUN_ID = re.compile(r"^[A-Za-z0-9._+-]{1,200}$")
_FILES = {"report.json": "application/json", "report.html": "text/html"}


@router.get("/{run_id}/{name}")
def report_file(run_id: str, name: str, _: ClientCaller, root: DataDir) -> FileResponse:
    """`report.json` or `report.html` of a backtest run (the id is in the job's result)."""
    if name not in _FILES or not _RUN_ID.match(run_id) or run_id in {".", ".."}:
        raise HTTPException(404, "reports are /api/v1/reports/{run_id}/report.json|report.html")
    path = root / "reports" / run_id / name
    if not path.is_file():
        raise HTTPException(404, f"no {name} for run '{run_id}'")
    return FileResponse(path, media_type=_FILES[name])
