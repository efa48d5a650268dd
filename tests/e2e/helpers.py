from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

TERMINAL = {"finished", "failed", "stopped", "canceled"}


def wait_job(http: httpx.Client, job_id: str, timeout_s: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = http.get(f"/api/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        if view["status"] in TERMINAL:
            return view
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not end within {timeout_s} s")


def upload(
    http: httpx.Client, path: Path, symbol: str, kind: str = "auto", **form: str
) -> httpx.Response:
    with path.open("rb") as handle:
        return http.post(
            "/api/v1/ingest",
            files={"file": (path.name, handle)},
            data={"symbol": symbol, "kind": kind, **form},
        )


def ingest(
    http: httpx.Client, path: Path, symbol: str, kind: str = "auto", **form: str
) -> dict[str, Any]:
    response = upload(http, path, symbol, kind, **form)
    assert response.status_code == 202, response.text
    return wait_job(http, response.json()["id"])
