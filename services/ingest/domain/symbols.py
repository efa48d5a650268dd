"""Symbols name directories under the data root, so they are checked before any path is built."""

from __future__ import annotations

import re

from services.common.errors import InvalidInput

_SYMBOL = re.compile(r"^[A-Z0-9]{2,20}$")


def normalize_symbol(symbol: str) -> str:
    """Upper-case `symbol` and check it is 2-20 letters or digits (e.g. BTCUSDT).

    Raises InvalidInput otherwise; this also keeps "../x" or "a/b" out of store paths.
    """
    cleaned = symbol.strip().upper()
    if not _SYMBOL.fullmatch(cleaned):
        raise InvalidInput(
            f"invalid symbol {symbol!r}: use 2-20 letters A-Z or digits, like BTCUSDT"
        )
    return cleaned
