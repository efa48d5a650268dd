"""A small HTTP client of the gateway, for the demo and the CLI: it uses only the public API."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

POLL_S = 0.5
TERMINAL = {"finished", "failed", "stopped", "canceled"}


class ApiError(RuntimeError):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class GatewayApi:
    def __init__(self, base_url: str, api_key: str, timeout_s: float = 60.0) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"X-API-Key": api_key}, timeout=timeout_s
        )

    def close(self) -> None:
        self.http.close()

    def _check(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text
            raise ApiError(response.status_code, detail)
        return response.json()

    def upload(
        self, path: Path, symbol: str, kind: str = "auto", timestamp_unit: str = "auto"
    ) -> dict[str, Any]:
        with path.open("rb") as handle:
            files = {"file": (path.name, handle)}
            data = {"symbol": symbol, "kind": kind, "timestamp_unit": timestamp_unit}
            return dict(self._check(self.http.post("/api/v1/ingest", files=files, data=data)))

    def start_job(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._check(self.http.post(f"/api/v1/jobs/{kind}", json=body)))

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self._check(self.http.get(f"/api/v1/jobs/{job_id}")))

    def wait(
        self,
        job_id: str,
        on_update: Callable[[dict[str, Any]], None] | None = None,
        timeout_s: float = 1800.0,
    ) -> dict[str, Any]:
        """Poll a job until it ends; raise ApiError when it did not finish."""
        deadline = time.monotonic() + timeout_s
        while True:
            view = self.job(job_id)
            if on_update:
                on_update(view)
            if view["status"] in TERMINAL:
                if view["status"] != "finished":
                    raise ApiError(500, f"job {job_id} {view['status']}: {view.get('error')}")
                return view
            if time.monotonic() > deadline:
                raise ApiError(504, f"job {job_id} still {view['status']} after {timeout_s:.0f} s")
            time.sleep(POLL_S)

    def activate(self, version: str) -> dict[str, Any]:
        return dict(self._check(self.http.post(f"/api/v1/models/{version}/activate")))

    def models(self, symbol: str = "") -> list[dict[str, Any]]:
        return list(self._check(self.http.get("/api/v1/models", params={"symbol": symbol})))

    def predict(self, symbol: str, features: dict[str, float] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"symbol": symbol}
        if features is not None:
            body["features"] = features
        return dict(self._check(self.http.post("/api/v1/analytics/predict/", json=body)))

    def report(self, run_id: str, name: str = "report.json") -> httpx.Response:
        response = self.http.get(f"/api/v1/reports/{run_id}/{name}")
        if response.status_code >= 400:
            raise ApiError(response.status_code, response.text)
        return response
