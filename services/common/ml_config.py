"""The ML config file (configs/ml.example.yaml) as a document of sections; each service
validates only the section(s) it owns."""

from __future__ import annotations

from typing import Any

import yaml

from services.common.errors import InvalidInput


def read_sections(text: str) -> dict[str, Any]:
    """YAML text -> {section: value}; empty text is an empty config. Raises InvalidInput when the
    text does not parse or is not a mapping of sections."""
    try:
        document = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"ML config is not valid YAML: {exc}") from exc
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise InvalidInput(
            "ML config must be a YAML mapping of sections (features, label, training, backtest)"
        )
    return document
