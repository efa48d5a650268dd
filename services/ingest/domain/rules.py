"""Row validation rules: vectorised checks that report the first broken row of a file as
`<file> line N, field 'x': what is wrong`, so a user can open the file and fix it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from services.common.errors import InvalidInput

LINE = "_line"
"""Column holding each row's 1-based line (CSV) or row (columnar) number in the source file."""

Row = dict[str, Any]


@dataclass(frozen=True)
class Rule:
    """One check. `bad` is True on rows that break it (null counts as not broken); `explain`
    turns the first such row into "field 'x': what is wrong"."""

    bad: pl.Expr
    explain: Callable[[Row], str]


@dataclass(frozen=True)
class Location:
    """How to name a row in messages: "trades.csv line 17" or "candles.parquet row 17"."""

    name: str
    unit: str = "line"

    def at(self, number: int) -> str:
        return f"{self.name} {self.unit} {number}"


def raise_first_broken(frame: pl.DataFrame, rules: Sequence[Rule], where: Location) -> None:
    """Raise InvalidInput for the earliest row (in file order) that breaks any rule.

    On that row, the first rule in `rules` wins, so callers list rules in column order and
    structural checks (field count) before value checks. `frame` must be in file order.
    """
    if not rules or frame.height == 0:
        return
    flags = frame.select(
        pl.col(LINE), *[r.bad.fill_null(False).alias(f"_rule{i}") for i, r in enumerate(rules)]
    )
    broken = flags.filter(pl.any_horizontal(pl.exclude(LINE))).head(1)
    if broken.height == 0:
        return
    first = broken.row(0)
    line = int(first[0])
    rule = rules[list(first[1:]).index(True)]
    row = frame.filter(pl.col(LINE) == line).row(0, named=True)
    raise InvalidInput(f"{where.at(line)}, {rule.explain(row)}")


def show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def as_float(raw: pl.Expr) -> pl.Expr:
    """Numbers from text (or any numeric dtype) as Float64; null where not a number."""
    return raw.cast(pl.Float64, strict=False)


def number_rules(
    key: str, label: str, *, minimum: float = 0.0, inclusive: bool = False
) -> list[Rule]:
    """Rules for a numeric column `key` (raw text or numbers): present, a number, finite and
    above `minimum` (or at least it, with `inclusive`)."""
    raw = pl.col(key)
    value = as_float(raw)
    text = raw.cast(pl.String)
    bound = value < minimum if inclusive else value <= minimum
    relation = "at least" if inclusive else "greater than"
    return [
        Rule(
            text.is_null() | (text == ""),
            lambda row: f"field '{label}': is empty",
        ),
        Rule(
            value.is_null(),
            lambda row: f"field '{label}': {show(row[key])} is not a number",
        ),
        Rule(
            value.is_nan() | value.is_infinite(),
            lambda row: f"field '{label}': {show(row[key])} is not a finite number",
        ),
        Rule(
            bound,
            lambda row: f"field '{label}': {show(row[key])} must be {relation} {minimum:g}",
        ),
    ]


def choice_rule(key: str, label: str, allowed: Sequence[str], *, optional: bool) -> Rule:
    """The value must be one of `allowed` (exact spelling); empty is fine when `optional`."""
    raw = pl.col(key)
    bad = ~raw.is_in(list(allowed))
    # Optional: empty is allowed. Required: null (a missing field) is broken too.
    bad = (bad & raw.is_not_null() & (raw != "")) if optional else (bad | raw.is_null())
    choices = ", ".join(allowed)

    def explain(row: Row) -> str:
        value = row[key]
        if value is None or value == "":
            return f"field '{label}': is empty (expected one of {choices})"
        return f"field '{label}': {show(value)} is not one of {choices}"

    return Rule(bad, explain)
