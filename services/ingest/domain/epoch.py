"""Unix timestamps given as text (seconds with a fraction, or integer ms / us / ns) -> integer
microseconds, the unit chosen by magnitude per value.

Integers are converted exactly. Decimals go through a float, which is exact to the
microsecond here: for seconds near 1.7e9 the float's error is ~0.12 us and the scaled
product's ~0.13 us, together under the 0.5 us that rounding tolerates (likewise for ms).
Digits finer than a microsecond are rounded.
"""

from __future__ import annotations

import polars as pl

from services.ingest.domain.rules import Rule, as_float, show

# Magnitude thresholds: below 1e11 is seconds (up to year 5138), below 1e14 milliseconds,
# below 1e17 microseconds, above that nanoseconds. Today's values are ~1.7e9 s, ~1.7e12 ms,
# ~1.7e15 us and ~1.7e18 ns, each far from a threshold.
SECONDS_BELOW = 1e11
MILLIS_BELOW = 1e14
MICROS_BELOW = 1e17
_INT64_LIMIT = 9.2e18


def _to_us(value: pl.Expr, *, integer: bool) -> pl.Expr:
    if integer:
        return (
            pl.when(value < SECONDS_BELOW)
            .then(value * 1_000_000)
            .when(value < MILLIS_BELOW)
            .then(value * 1_000)
            .when(value < MICROS_BELOW)
            .then(value)
            .otherwise((value + 500) // 1_000)
        )
    scaled = (
        pl.when(value < SECONDS_BELOW)
        .then(value * 1e6)
        .when(value < MILLIS_BELOW)
        .then(value * 1e3)
        .when(value < MICROS_BELOW)
        .then(value)
        .otherwise(value / 1e3)
    ).round()
    return pl.when(scaled.abs() < _INT64_LIMIT).then(scaled).cast(pl.Int64)


def epoch_us(raw: pl.Expr) -> pl.Expr:
    """Int64 microseconds since the epoch; null where the text is not a positive finite
    number in range."""
    text = raw.cast(pl.String).str.strip_chars()
    whole = text.cast(pl.Int64, strict=False)
    number = as_float(text)
    usable = number.is_finite() & (number > 0)
    exact = pl.when(whole > 0).then(_to_us(whole, integer=True))
    return pl.when(whole.is_not_null()).then(exact).when(usable).then(_to_us(number, integer=False))


def timestamp_rules(key: str, label: str) -> list[Rule]:
    """Rules for an epoch timestamp column: present, a finite positive number, in range."""
    raw = pl.col(key).cast(pl.String)
    value = as_float(raw)
    return [
        Rule(raw.is_null() | (raw == ""), lambda row: f"field '{label}': is empty"),
        Rule(
            value.is_null(),
            lambda row: (
                f"field '{label}': {show(row[key])} is not a number "
                "(expected a unix timestamp in seconds, ms or us)"
            ),
        ),
        Rule(
            value.is_nan() | value.is_infinite(),
            lambda row: f"field '{label}': {show(row[key])} is not a finite number",
        ),
        Rule(
            value <= 0,
            lambda row: f"field '{label}': {show(row[key])} must be a positive unix timestamp",
        ),
        Rule(
            epoch_us(raw).is_null(),
            lambda row: f"field '{label}': {show(row[key])} is out of range for a timestamp",
        ),
    ]
