"""A file's chunks joined: the same trades and occurrence numbers as parsing it whole."""

from __future__ import annotations

import pytest

from services.ingest.domain.chunked import join_chunks
from services.ingest.domain.trades import parse_trades
from tests.unit.ingest.factories import T0_S, csv

HEADER = "timestamp,price,size,side"


@pytest.mark.parametrize(
    "chunks",
    [
        # sorted, each chunk after the previous one: numbering kept, frames only concatenated
        [[f"{T0_S},1,1,Buy", f"{T0_S},1,1,Buy"], [f"{T0_S + 1},1,1,Buy", f"{T0_S + 1},1,1,Buy"]],
        # identical rows on both sides of a chunk boundary: numbered on across it
        [
            [f"{T0_S},1,1,Buy", f"{T0_S + 1},1,1,Buy"],
            [f"{T0_S + 1},1,1,Buy", f"{T0_S + 2},1,1,Buy"],
        ],
        # the second chunk goes back in time: sorted and numbered over the whole
        [
            [f"{T0_S + 5},2,1,Buy", f"{T0_S + 6},1,1,Sell"],
            [f"{T0_S},1,1,Buy", f"{T0_S + 5},2,1,Buy"],
        ],
    ],
)
def test_joined_chunks_equal_the_whole_file_parsed(chunks: list[list[str]]) -> None:
    whole = parse_trades(csv(HEADER, *(line for chunk in chunks for line in chunk)), "t.csv")
    parts = [parse_trades(csv(HEADER, *chunk), "t.csv") for chunk in chunks]

    joined = join_chunks(parts)

    assert joined.equals(whole)
    assert joined["occurrence"].max() >= 1  # the cases do repeat a row


def test_no_chunks_no_trades() -> None:
    assert join_chunks([]).height == 0
