"""The trading rules the engine runs: the EV rule (the contract) and the fixed-hold rule.

`EvRule` is the contract's rule (docs/backtest.md): ATR-multiple stop and target, an expected
value gate after costs, one position at a time. `ThresholdRule` is the original long-only,
fixed-holding rule, kept as a mode so earlier backtests reproduce exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.common.errors import InvalidInput

BPS = 10_000.0
OnOpposite = Literal["flip", "close", "ignore"]
Sides = Literal["long", "short", "both"]
ON_OPPOSITE_CODES: dict[str, int] = {"flip": 0, "close": 1, "ignore": 2}
"""Kernel codes of `on_opposite` (the numba kernel takes integers, not strings)."""


class _CostRates:
    """f and s from the rule's fee_bps and slippage_bps (both rules charge them per side)."""

    if TYPE_CHECKING:  # the rules declare (and validate) these fields themselves
        fee_bps: float
        slippage_bps: float

    @property
    def fee(self) -> float:
        return self.fee_bps / BPS

    @property
    def slippage(self) -> float:
        return self.slippage_bps / BPS


class EvRule(_CostRates, BaseModel):
    """The EV rule. f = fee_bps / 1e4 and s = slippage_bps / 1e4 are charged per side."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    k_tp: float = Field(gt=0.0, allow_inf_nan=False)
    k_sl: float = Field(gt=0.0, allow_inf_nan=False)
    ev_margin: float = Field(default=0.0, allow_inf_nan=False)
    fee_bps: float = Field(default=5.5, ge=0.0, lt=BPS, allow_inf_nan=False)
    slippage_bps: float = Field(default=1.0, ge=0.0, lt=BPS, allow_inf_nan=False)
    max_hold_bars: int = Field(default=60, ge=1)
    on_opposite: OnOpposite = "flip"
    sides: Sides = "both"

    @property
    def round_trip_cost(self) -> float:
        """2(f + s): what a trade pays in fees and slippage, entry and exit, in return units."""
        return 2.0 * (self.fee + self.slippage)

    @property
    def allows_long(self) -> bool:
        return self.sides in ("long", "both")

    @property
    def allows_short(self) -> bool:
        return self.sides in ("short", "both")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], source: str = "rule") -> EvRule:
        """Validate a rule given as a mapping (a YAML file's top level, a request, a config).

        Raises:
            InvalidInput: naming `source` and every bad, missing or unknown key.
        """
        if not isinstance(mapping, Mapping):
            raise InvalidInput(f"{source}: a rule is a mapping of keys to values")
        try:
            return cls.model_validate(dict(mapping))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(rule)'}: {err['msg']}"
                for err in exc.errors()
            )
            raise InvalidInput(f"{source}: {problems}") from exc

    def as_dict(self) -> dict[str, Any]:
        return {"mode": "ev", **self.model_dump(mode="json")}


@dataclass(frozen=True)
class ThresholdRule(_CostRates):
    """Long only: buy at the next open when P(up) >= threshold, sell `holding_bars` bars later.

    Costs fold into the fill prices (fee and slippage per side), as they always have in this
    mode, so its results stay what they were.
    """

    threshold: float
    holding_bars: int
    fee_bps: float
    slippage_bps: float

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise InvalidInput(f"threshold must be in (0, 1], got {self.threshold}")
        if self.holding_bars < 1:
            raise InvalidInput(f"holding_bars must be >= 1, got {self.holding_bars}")
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
    def per_side(self) -> float:
        return self.fee + self.slippage

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": "threshold",
            "threshold": self.threshold,
            "holding_bars": self.holding_bars,
            "fee_bps": self.fee_bps,
            "slippage_bps": self.slippage_bps,
        }


Rule = EvRule | ThresholdRule
