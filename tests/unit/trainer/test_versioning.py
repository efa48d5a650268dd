from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.trainer.domain.versioning import version_at, version_time


def test_version_is_release_plus_utc_stamp() -> None:
    assert version_at(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == "1.0.0+20250102_030405"


def test_other_zones_are_converted_to_utc() -> None:
    tokyo = timezone(timedelta(hours=9))
    assert version_at(datetime(2025, 1, 2, 9, 0, 0, tzinfo=tokyo)) == "1.0.0+20250102_000000"


def test_offset_moves_to_later_seconds_across_midnight() -> None:
    moment = datetime(2025, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)
    assert version_at(moment) == "1.0.0+20251231_235959"
    assert version_at(moment, offset_s=1) == "1.0.0+20260101_000000"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        version_at(datetime(2025, 1, 1))


def test_version_time_round_trips_and_rejects_other_strings() -> None:
    assert version_time("1.0.0+20250102_030405") == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    for bad in ("1.0.0", "v1+20250102_030405", "1.0.0+2025-01-02"):
        with pytest.raises(ValueError):
            version_time(bad)
