"""Container healthchecks: `python -m services.cli.healthcheck grpc HOST:PORT` or
`... http URL`. Exit 0 when healthy, 1 otherwise (compose and k8s read the exit code)."""

from __future__ import annotations

import sys

import httpx

from services.common.grpc_client import is_serving

TIMEOUT_S = 3.0


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=TIMEOUT_S).status_code == 200
    except httpx.HTTPError:
        return False


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in {"grpc", "http"}:
        print(
            "usage: python -m services.cli.healthcheck grpc HOST:PORT | http URL", file=sys.stderr
        )
        return 2
    healthy = is_serving(args[1], timeout_s=TIMEOUT_S) if args[0] == "grpc" else http_ok(args[1])
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
