"""Trade identity: trdMatchID where present, else the whole row plus its occurrence index."""

from __future__ import annotations

import polars as pl

from services.ingest.domain.dedup import merge_trades
from services.ingest.domain.trades import empty_trades, parse_trades
from tests.unit.ingest.factories import T0_S, csv

HEADER = "timestamp,price,size,side,tickDirection"


def lines(count: int, start: int = 0) -> list[str]:
    # Two trades per second, so each second is a tie group of two.
    return [f"{T0_S + (i // 2)},{100 + i},1,Buy," for i in range(start, start + count)]


def parse(*rows: str, header: str = HEADER) -> pl.DataFrame:
    return parse_trades(csv(header, *rows), "t.csv")


def test_identical_trades_in_one_file_both_survive_and_reingest_adds_nothing() -> None:
    batch = parse(f"{T0_S},5,1,Buy,", f"{T0_S},5,1,Buy,", f"{T0_S},6,1,Sell,")

    first = merge_trades(empty_trades(), batch)
    again = merge_trades(first.trades, batch)

    assert (first.added, first.duplicates) == (3, 0)
    assert (again.added, again.duplicates) == (0, 3)
    assert again.trades.equals(first.trades)


def test_overlapping_files_store_the_union_once() -> None:
    a = parse(*lines(6))
    b = parse(*lines(6, start=4))

    after_a = merge_trades(empty_trades(), a)
    after_b = merge_trades(after_a.trades, b)

    assert (after_b.added, after_b.duplicates) == (4, 2)
    assert after_b.trades["price"].to_list() == [100.0 + i for i in range(10)]
    assert after_b.trades.equals(merge_trades(empty_trades(), parse(*lines(10))).trades)


def test_overlap_of_repeated_identical_rows_counts_occurrences() -> None:
    x = f"{T0_S},5,1,Buy,"
    stored = merge_trades(empty_trades(), parse(x, x)).trades  # two real, identical trades
    assert merge_trades(stored, parse(x)).added == 0  # a file with only one of them
    assert merge_trades(stored, parse(x, x, x)).added == 1  # a file that saw a third


def test_trade_id_decides_identity_when_present() -> None:
    header = "timestamp,price,size,side,trdMatchID"
    stored = merge_trades(empty_trades(), parse(f"{T0_S},5,1,Buy,id-1", header=header)).trades

    batch = parse(
        f"{T0_S},5,1,Buy,id-2",  # same row, new id: a different trade
        f"{T0_S},7,1,Buy,id-1",  # known id: the same trade, whatever the row says
        f"{T0_S},8,1,Buy,id-3",
        f"{T0_S},9,1,Buy,id-3",  # repeated in the batch: first one wins
        header=header,
    )
    merged = merge_trades(stored, batch)

    assert (merged.added, merged.duplicates) == (2, 2)
    assert merged.trades.select("trade_id", "price").rows() == [
        ("id-1", 5.0), ("id-2", 5.0), ("id-3", 8.0),
    ]  # fmt: skip


def test_missing_tick_direction_matches_missing_tick_direction() -> None:
    batch = parse(f"{T0_S},5,1,Buy,", f"{T0_S + 1},6,1,Sell,PlusTick")
    stored = merge_trades(empty_trades(), batch).trades
    assert merge_trades(stored, batch).added == 0


def test_new_trades_go_after_stored_ones_with_the_same_timestamp() -> None:
    stored = merge_trades(empty_trades(), parse(f"{T0_S},1,1,Buy,", f"{T0_S + 1},2,1,Buy,"))
    merged = merge_trades(stored.trades, parse(f"{T0_S},3,1,Buy,", f"{T0_S},1,1,Buy,"))
    assert merged.trades["price"].to_list() == [1.0, 3.0, 2.0]
