from services.common.queue import deterministic_job_id


def test_job_id_is_deterministic_and_order_independent() -> None:
    a = deterministic_job_id("train", {"symbol": "BTCUSDT", "start": 1})
    b = deterministic_job_id("train", {"start": 1, "symbol": "BTCUSDT"})
    c = deterministic_job_id("train", {"symbol": "ETHUSDT", "start": 1})
    assert a == b
    assert a != c
    assert a.startswith("train-")
