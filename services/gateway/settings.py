"""Gateway settings: API keys are required (fail fast) and never logged."""

from __future__ import annotations

from pydantic import field_validator

from services.common.settings import DEFAULT_PORTS, BaseServiceSettings

MAX_UPLOAD_BYTES = 2 * 1024**3


def parse_keys(raw: str) -> dict[str, str]:
    """`name:key,name:key` -> {key: name}. Names identify who acted (activation history)."""
    keys: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, key = item.partition(":")
        if not sep or not name or len(key) < 16:
            raise ValueError(
                f"API key entries are 'name:key' with a key of 16+ characters: {name!r}"
            )
        keys[key] = name
    return keys


class GatewaySettings(BaseServiceSettings):
    gateway_port: int = DEFAULT_PORTS["gateway"]
    gateway_host: str = "127.0.0.1"
    admin_keys: str
    """Comma-separated `name:key` pairs allowed to mutate (activate, ingest, run jobs)."""
    client_keys: str = ""
    """Comma-separated `name:key` pairs allowed to read and predict."""
    max_upload_bytes: int = MAX_UPLOAD_BYTES

    @field_validator("admin_keys")
    @classmethod
    def _admin_required(cls, value: str) -> str:
        if not parse_keys(value):
            raise ValueError("TRADY_ADMIN_KEYS must name at least one 'name:key' pair")
        return value

    @field_validator("client_keys")
    @classmethod
    def _client_valid(cls, value: str) -> str:
        parse_keys(value)
        return value
