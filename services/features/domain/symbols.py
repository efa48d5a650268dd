"""Symbol names: upper-case exchange tickers, also used as directory names under the data root."""

from __future__ import annotations

import re

from services.common.errors import InvalidInput

# The same rule as ingest's, so every symbol that has bars can have a dataset.
_SYMBOL = re.compile(r"^[A-Z0-9]{2,20}$")


def normalise_symbol(raw: str) -> str:
    """Trim and upper-case `raw`; raise InvalidInput unless it is a plain ticker like BTCUSDT
    (which also keeps it from escaping its directory)."""
    symbol = raw.strip().upper()
    if not _SYMBOL.fullmatch(symbol):
        raise InvalidInput(f"invalid symbol {raw!r}: use 2-20 letters A-Z or digits, like BTCUSDT")
    return symbol
