"""Trading costs: exchange fee and slippage, both charged per side in basis points.

Costs move the prices we trade at rather than being subtracted afterwards: a buy fills at
`price * (1 + c)` and a sell at `price * (1 - c)`, with `c = (fee_bps + slippage_bps) / 10_000`.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import InvalidInput

BPS = 10_000.0


@dataclass(frozen=True)
class Costs:
    fee_bps: float
    slippage_bps: float

    def __post_init__(self) -> None:
        if not (self.fee_bps >= 0.0 and self.slippage_bps >= 0.0):
            raise InvalidInput(
                f"fee_bps and slippage_bps must be >= 0, got {self.fee_bps}, {self.slippage_bps}"
            )
        if not self.per_side < 1.0:  # a sell would fill at a price <= 0
            raise InvalidInput(
                f"fee_bps + slippage_bps must be below {BPS:.0f} per side, "
                f"got {self.fee_bps + self.slippage_bps}"
            )

    @property
    def fee_rate(self) -> float:
        return self.fee_bps / BPS

    @property
    def slippage_rate(self) -> float:
        return self.slippage_bps / BPS

    @property
    def per_side(self) -> float:
        """The fraction charged on each side (entry and exit)."""
        return self.fee_rate + self.slippage_rate
