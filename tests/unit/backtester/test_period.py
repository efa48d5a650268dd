"""Range restriction and the in-sample warning."""

from __future__ import annotations

from services.backtester.domain.period import in_sample_warnings, iso, restrict
from tests.unit.backtester.helpers import MINUTE_MS, bars

DAY = 24 * 60 * MINUTE_MS


def test_restrict_is_half_open_and_zero_is_unbounded() -> None:
    frame = bars([1.0] * 10, [1.0] * 10)

    def minutes(start: int, end: int) -> list[int]:
        kept = restrict(frame, start * MINUTE_MS, end * MINUTE_MS)
        return (kept["open_time"].dt.epoch("ms") // MINUTE_MS).to_list()

    assert minutes(3, 6) == [3, 4, 5]
    assert minutes(0, 2) == [0, 1]
    assert minutes(8, 0) == [8, 9]
    assert minutes(0, 0) == list(range(10))


def test_in_sample_warning() -> None:
    fit_start, fit_end = 10 * DAY, 20 * DAY
    assert in_sample_warnings(fit_end, 25 * DAY, fit_start, fit_end, "v") == ()
    assert in_sample_warnings(0, fit_start - 1, fit_start, fit_end, "v") == ()
    (warning,) = in_sample_warnings(19 * DAY, 25 * DAY, fit_start, fit_end, "v")
    assert warning.startswith("IN-SAMPLE") and iso(fit_end) in warning
    assert iso(fit_end) == "1970-01-21 00:00 UTC"
    (warning,) = in_sample_warnings(19 * DAY, 25 * DAY, 0, 0, "v")
    assert "no test range" in warning
