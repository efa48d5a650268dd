"""API-key checks: a missing key is 401, a key that is wrong or lacks the role is 403."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import Enum
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from services.gateway.settings import parse_keys

HEADER = "X-API-Key"


class Role(Enum):
    CLIENT = "client"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role


class KeyRing:
    def __init__(self, admin_keys: str, client_keys: str) -> None:
        self._admin = parse_keys(admin_keys)
        self._client = parse_keys(client_keys)

    def identify(self, presented: str) -> Caller | None:
        # compare against every key in constant time, so timing does not reveal near-misses
        found: Caller | None = None
        for table, role in ((self._admin, Role.ADMIN), (self._client, Role.CLIENT)):
            for key, name in table.items():
                if hmac.compare_digest(key.encode(), presented.encode()) and found is None:
                    found = Caller(name, role)
        return found


def _caller(request: Request, needed: Role) -> Caller:
    presented = request.headers.get(HEADER) or request.query_params.get("api_key")
    if not presented:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"missing API key: send it in the {HEADER} header",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    ring: KeyRing = request.app.state.keys
    caller = ring.identify(presented)
    if caller is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid API key")
    if needed is Role.ADMIN and caller.role is not Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this route needs an admin API key")
    return caller


def require_client(request: Request) -> Caller:
    """Any valid key (client or admin)."""
    return _caller(request, Role.CLIENT)


def require_admin(request: Request) -> Caller:
    return _caller(request, Role.ADMIN)


ClientCaller = Annotated[Caller, Depends(require_client)]
AdminCaller = Annotated[Caller, Depends(require_admin)]
