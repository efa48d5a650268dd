import math
import random

import polars as pl
import pytest

from services.features.domain import indicators
from tests.unit.features import reference


def _bars(n: int, seed: int = 7) -> dict[str, list[float]]:
    rng = random.Random(seed)
    close = [100.0]
    for _ in range(n - 1):
        close.append(close[-1] * math.exp(rng.gauss(0, 0.01)))
    high = [c * (1 + rng.uniform(0, 0.01)) for c in close]
    low = [c * (1 - rng.uniform(0, 0.01)) for c in close]
    volume = [rng.uniform(1, 10) for _ in close]
    return {"close": close, "high": high, "low": low, "volume": volume}


BARS = _bars(60)
FRAME = pl.DataFrame(BARS)


def _assert_matches(actual: pl.Series, expected: list[float | None]) -> None:
    got = actual.to_list()
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        if e is None:
            assert g is None, f"row {i}: expected null (warm-up), got {g}"
        else:
            assert g is not None, f"row {i}: expected {e}, got null"
            assert g == pytest.approx(e, rel=1e-10, abs=1e-12), f"row {i}"


def _eval(expr: pl.Expr) -> pl.Series:
    return FRAME.select(expr.alias("x")).get_column("x")


@pytest.mark.parametrize("n", [1, 3, 15])
def test_log_return(n: int) -> None:
    _assert_matches(_eval(indicators.log_return(period=n)), reference.log_returns(BARS["close"], n))


def test_log_return_on_a_hand_case() -> None:
    frame = pl.DataFrame({"close": [100.0, 110.0, 121.0]})
    got = frame.select(indicators.log_return(period=2)).to_series().to_list()
    assert got[:2] == [None, None]
    assert got[2] == pytest.approx(math.log(1.21))


@pytest.mark.parametrize("n", [3, 9, 21])
def test_ema_distance(n: int) -> None:
    expected = reference.ema_distance(BARS["close"], n)
    _assert_matches(_eval(indicators.ema_distance(period=n)), expected)


def test_ema_is_seeded_with_the_first_sma_on_a_hand_case() -> None:
    # EMA(3), alpha 0.5: row 2 = mean(1, 2, 3) = 2; row 3 = 0.5*10 + 0.5*2 = 6; row 4 = 5.
    frame = pl.DataFrame({"close": [1.0, 2.0, 3.0, 10.0, 4.0]})
    got = frame.select(indicators.ema(period=3)).to_series().to_list()
    assert got == [None, None, 2.0, 6.0, 5.0]


@pytest.mark.parametrize("n", [3, 14])
def test_rsi_matches_wilder(n: int) -> None:
    _assert_matches(_eval(indicators.rsi(period=n)), reference.rsi(BARS["close"], n))


def test_rsi_on_a_hand_case() -> None:
    # Changes +1, -0.5, +1.5 -> avg gain 2.5/3, avg loss 0.5/3 -> RS 5 -> RSI 100 - 100/6.
    # Next change +1: gain (2.5/3*2 + 1)/3, loss (0.5/3*2)/3.
    frame = pl.DataFrame({"close": [10.0, 11.0, 10.5, 12.0, 13.0]})
    got = frame.select(indicators.rsi(period=3)).to_series().to_list()
    assert got[:3] == [None, None, None]
    assert got[3] == pytest.approx(100 - 100 / 6)
    gain, loss = (5 / 3 + 1) / 3, (1 / 3) / 3
    assert got[4] == pytest.approx(100 - 100 / (1 + gain / loss))


def test_rsi_edge_cases_flat_and_only_rising() -> None:
    flat = pl.DataFrame({"close": [5.0] * 6}).select(indicators.rsi(period=3)).to_series()
    rising = pl.DataFrame({"close": [1.0, 2, 3, 4, 5, 6]}).select(indicators.rsi(period=3))
    assert flat.to_list() == [None, None, None, 50.0, 50.0, 50.0]
    assert rising.to_series().to_list() == [None, None, None, 100.0, 100.0, 100.0]


@pytest.mark.parametrize("n", [3, 14])
def test_atr_ratio_matches_wilder(n: int) -> None:
    expected = reference.atr_ratio(BARS["high"], BARS["low"], BARS["close"], n)
    _assert_matches(_eval(indicators.atr_ratio(period=n)), expected)


def test_atr_on_a_hand_case() -> None:
    # TR from row 1: max(h-l, |h-prev c|, |l-prev c|) = 3 (gap up: 13-10), 2, 4 (gap down).
    # ATR(2): row 2 = (3 + 2) / 2 = 2.5; row 3 = (2.5 + 4) / 2 = 3.25.
    frame = pl.DataFrame(
        {
            "high": [11.0, 13.0, 13.0, 10.0],
            "low": [9.0, 12.0, 11.0, 8.0],
            "close": [10.0, 12.5, 12.0, 9.0],
        }
    )
    got = frame.select(indicators.atr_ratio(period=2)).to_series().to_list()
    assert got[:2] == [None, None]
    assert got[2] == pytest.approx(2.5 / 12.0)
    assert got[3] == pytest.approx(3.25 / 9.0)


@pytest.mark.parametrize("n", [2, 5, 20])
def test_volume_zscore(n: int) -> None:
    _assert_matches(
        _eval(indicators.volume_zscore(window=n)), reference.volume_z(BARS["volume"], n)
    )


def test_volume_zscore_on_a_hand_case_and_a_flat_window() -> None:
    # Window [1, 2, 6]: mean 3, sample sd sqrt(((-2)^2 + (-1)^2 + 3^2) / 2) = sqrt(7).
    frame = pl.DataFrame({"volume": [1.0, 2.0, 6.0, 6.0, 6.0, 6.0]})
    got = frame.select(indicators.volume_zscore(window=3)).to_series().to_list()
    assert got[:2] == [None, None]
    assert got[2] == pytest.approx(3 / math.sqrt(7))
    assert got[5] == 0.0


def test_non_positive_periods_are_rejected() -> None:
    with pytest.raises(ValueError):
        indicators.log_return(period=0)
    with pytest.raises(ValueError):
        indicators.volume_zscore(window=1)


def test_bollinger_on_a_hand_case_and_a_flat_window() -> None:
    frame = pl.DataFrame({"close": [5.0, 5.0, 5.0, 1.0, 2.0, 3.0]})
    pct_b, width = indicators.bollinger(period=3, k=2.0)
    got = frame.select(pct_b.alias("b"), width.alias("w"))
    # Window (1, 2, 3): mean 2, population std sqrt(2/3); bands 2 +- 2 * 0.8165.
    std = math.sqrt(2.0 / 3.0)
    assert got.get_column("b").to_list()[:3] == [None, None, None]  # warm-up, then flat: 0/0
    assert got.get_column("b")[5] == pytest.approx((3.0 - (2.0 - 2 * std)) / (4 * std))
    assert got.get_column("w")[5] == pytest.approx(4 * std / 2.0)
    assert got.get_column("w")[2] == 0.0
