"""CSV text -> a table of raw string fields that remembers each row's line number.

Lines are read whole (polars, with a separator that cannot occur in valid input) and split
here, because a CSV reader that fills short lines with nulls or skips blank lines would lose
exactly what the messages must name: the line and the field. Fields are plain: no commas
inside quotes (no trade or candle file has them); surrounding double quotes are removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from services.common.errors import InvalidInput
from services.ingest.domain.rules import LINE, Location, Row, Rule
from services.ingest.domain.sources import UTF8_BOM

_WHOLE_LINE_SEPARATOR = "\x1f"  # ASCII unit separator; rejected in input below
_FORBIDDEN = (b"\x00", b"\x1f")  # NUL means a binary file; \x1f would split our lines
_NFIELDS = "_nfields"


@dataclass(frozen=True)
class CsvTable:
    """Raw fields of a CSV's data lines.

    `rows` holds LINE (1-based line number in the file), `_nfields`, and one String column per
    selected column, named by its lower-cased header name; `labels` maps those names back to
    the spelling in the file, for messages.
    """

    where: Location
    header: tuple[str, ...]
    header_line: int
    labels: dict[str, str]
    rows: pl.DataFrame

    def field_count_rule(self) -> Rule:
        """Every data line has as many fields as the header (list it before value rules)."""
        expected = len(self.header)

        def explain(row: Row) -> str:
            found = int(row[_NFIELDS])
            if found < expected:
                return (
                    f"field '{self.header[found]}': missing (the line has {found} of "
                    f"{expected} fields; is it truncated?)"
                )
            return (
                f"field #{expected + 1}: unexpected extra field (the line has {found} fields, "
                f"the header has {expected})"
            )

        return Rule(pl.col(_NFIELDS) != expected, explain)


def read_csv_table(
    data: bytes,
    name: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    *,
    what: str = "rows",
    names: Sequence[str] | None = None,
    line_offset: int = 0,
) -> CsvTable:
    """Split `data` (already decompressed) into lines and fields.

    `required` and `optional` are lower-case column names (matched case-insensitively;
    other columns are allowed and ignored). Raises InvalidInput naming the line (and field
    where there is one) for non-UTF-8 bytes, control bytes, an empty file, a header without
    data, missing or repeated columns. Blank lines are skipped (their numbers still count).
    With `names`, the file has no header line: these are its columns and line 1 is data.
    `line_offset` is added to every line number (for a chunk of a larger file).
    """
    where = Location(name)
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    _check_utf8(data, where, line_offset)
    _check_forbidden_bytes(data, where, line_offset)
    if not data.strip():
        raise InvalidInput(f"{where.at(1)}: the file is empty")
    lines = pl.read_csv(
        data,
        has_header=False,
        separator=_WHOLE_LINE_SEPARATOR,
        quote_char=None,
        new_columns=["text"],
        infer_schema=False,
    )
    lines = lines.with_row_index(LINE, offset=1 + line_offset).with_columns(
        pl.col(LINE).cast(pl.Int64)
    )
    lines = lines.filter(pl.col("text").str.contains(r"\S"))  # drops blank lines (and nulls)
    if names is None:
        header_line, header_text = lines.row(0)
        header = tuple(_clean(part) for part in str(header_text).split(","))
        body = lines.slice(1)
    else:
        header_line, header = 0, tuple(names)
        body = lines
    keys = _column_keys(header, where.at(header_line), required)
    if body.height == 0:
        raise InvalidInput(
            f"{where.at(header_line + 1)}: no {what} after the header (the file has only a header)"
        )
    wanted = [key for key in (*required, *optional) if key in keys]
    fields = pl.col("text").str.split_exact(",", len(header) - 1)
    # Stripping costs ~10% of a big file's parse time, so only when there is anything to strip.
    strip_spaces = b" " in data or b"\t" in data
    strip_quotes = b'"' in data
    columns = []
    for key in wanted:
        value = fields.struct.field(f"field_{keys[key]}")
        if strip_spaces:
            value = value.str.strip_chars()
        if strip_quotes:
            value = value.str.strip_chars('"').str.strip_chars()
        columns.append(value.alias(key))
    rows = body.select(
        pl.col(LINE),
        (pl.col("text").str.count_matches(",", literal=True) + 1).alias(_NFIELDS),
        *columns,
    )
    labels = {key: header[keys[key]] for key in wanted}
    return CsvTable(where, header, int(header_line), labels, rows)


def _clean(field: str) -> str:
    return field.strip().strip('"').strip()


def _column_keys(header: Sequence[str], where: str, required: Sequence[str]) -> dict[str, int]:
    keys: dict[str, int] = {}
    for position, label in enumerate(header):
        key = label.lower()
        if not key:
            continue  # an unnamed column (e.g. a saved pandas index) is just an extra column
        if key in keys:
            raise InvalidInput(f"{where}, field '{label}': the column appears twice in the header")
        keys[key] = position
    missing = [key for key in required if key not in keys]
    if missing:
        raise InvalidInput(
            f"{where}: missing required column(s) {', '.join(repr(m) for m in missing)}; "
            f"the header has {', '.join(repr(h) for h in header)}"
        )
    return keys


def _field_at(data: bytes, position: int) -> tuple[int, str]:
    """Line number and field label of byte `position` (field names from the first line)."""
    line = data.count(b"\n", 0, position) + 1
    start = data.rfind(b"\n", 0, position) + 1
    index = data.count(b",", start, position)
    first_line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    header = [_clean(part) for part in first_line.split(",")]
    label = f"'{header[index]}'" if line > 1 and index < len(header) else f"#{index + 1}"
    return line, label


def _check_utf8(data: bytes, where: Location, line_offset: int) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, label = _field_at(data, exc.start)
        line += line_offset
        bad = data[exc.start : exc.end]
        raise InvalidInput(
            f"{where.at(line)}, field {label}: invalid UTF-8 byte(s) {bad!r}; "
            "save the file as UTF-8 text"
        ) from None


def _check_forbidden_bytes(data: bytes, where: Location, line_offset: int) -> None:
    hits = [pos for pos in (data.find(b) for b in _FORBIDDEN) if pos >= 0]
    if hits:
        line, label = _field_at(data, min(hits))
        line += line_offset
        raise InvalidInput(
            f"{where.at(line)}, field {label}: control byte {data[min(hits) : min(hits) + 1]!r} "
            "(is this a binary file?)"
        )
