from services.contracts.trady.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FileKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FILE_KIND_UNSPECIFIED: _ClassVar[FileKind]
    FILE_KIND_TRADES: _ClassVar[FileKind]
    FILE_KIND_CANDLES: _ClassVar[FileKind]
FILE_KIND_UNSPECIFIED: FileKind
FILE_KIND_TRADES: FileKind
FILE_KIND_CANDLES: FileKind

class LiveTrade(_message.Message):
    __slots__ = ("timestamp_us", "price", "size", "side", "tick_direction", "trade_id")
    TIMESTAMP_US_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    TICK_DIRECTION_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    timestamp_us: int
    price: float
    size: float
    side: str
    tick_direction: str
    trade_id: str
    def __init__(self, timestamp_us: _Optional[int] = ..., price: _Optional[float] = ..., size: _Optional[float] = ..., side: _Optional[str] = ..., tick_direction: _Optional[str] = ..., trade_id: _Optional[str] = ...) -> None: ...

class LiveTradeBatch(_message.Message):
    __slots__ = ("symbol", "trades", "now_ms")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    NOW_MS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    trades: _containers.RepeatedCompositeFieldContainer[LiveTrade]
    now_ms: int
    def __init__(self, symbol: _Optional[str] = ..., trades: _Optional[_Iterable[_Union[LiveTrade, _Mapping]]] = ..., now_ms: _Optional[int] = ...) -> None: ...

class StreamTradesSummary(_message.Message):
    __slots__ = ("accepted", "late", "closed")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    late: int
    closed: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, accepted: _Optional[int] = ..., late: _Optional[int] = ..., closed: _Optional[_Iterable[str]] = ...) -> None: ...

class IngestFileRequest(_message.Message):
    __slots__ = ("path", "symbol", "kind", "display_name", "timestamp_unit")
    PATH_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_UNIT_FIELD_NUMBER: _ClassVar[int]
    path: str
    symbol: str
    kind: FileKind
    display_name: str
    timestamp_unit: str
    def __init__(self, path: _Optional[str] = ..., symbol: _Optional[str] = ..., kind: _Optional[_Union[FileKind, str]] = ..., display_name: _Optional[str] = ..., timestamp_unit: _Optional[str] = ...) -> None: ...

class IngestFileResponse(_message.Message):
    __slots__ = ("symbol", "kind", "rows_read", "rows_stored", "duplicates", "first_ms", "last_ms", "bars_1m")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ROWS_READ_FIELD_NUMBER: _ClassVar[int]
    ROWS_STORED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    FIRST_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_MS_FIELD_NUMBER: _ClassVar[int]
    BARS_1M_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    kind: FileKind
    rows_read: int
    rows_stored: int
    duplicates: int
    first_ms: int
    last_ms: int
    bars_1m: int
    def __init__(self, symbol: _Optional[str] = ..., kind: _Optional[_Union[FileKind, str]] = ..., rows_read: _Optional[int] = ..., rows_stored: _Optional[int] = ..., duplicates: _Optional[int] = ..., first_ms: _Optional[int] = ..., last_ms: _Optional[int] = ..., bars_1m: _Optional[int] = ...) -> None: ...

class GetBarsRequest(_message.Message):
    __slots__ = ("symbol", "timeframe", "range", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    timeframe: str
    range: _common_pb2.TimeRange
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., timeframe: _Optional[str] = ..., range: _Optional[_Union[_common_pb2.TimeRange, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class GetBarsResponse(_message.Message):
    __slots__ = ("symbol", "timeframe", "bars")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    timeframe: str
    bars: _containers.RepeatedCompositeFieldContainer[_common_pb2.Bar]
    def __init__(self, symbol: _Optional[str] = ..., timeframe: _Optional[str] = ..., bars: _Optional[_Iterable[_Union[_common_pb2.Bar, _Mapping]]] = ...) -> None: ...

class ListSymbolsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SymbolCoverage(_message.Message):
    __slots__ = ("symbol", "bars_1m", "first_ms", "last_ms", "trades")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BARS_1M_FIELD_NUMBER: _ClassVar[int]
    FIRST_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_MS_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    bars_1m: int
    first_ms: int
    last_ms: int
    trades: int
    def __init__(self, symbol: _Optional[str] = ..., bars_1m: _Optional[int] = ..., first_ms: _Optional[int] = ..., last_ms: _Optional[int] = ..., trades: _Optional[int] = ...) -> None: ...

class ListSymbolsResponse(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedCompositeFieldContainer[SymbolCoverage]
    def __init__(self, symbols: _Optional[_Iterable[_Union[SymbolCoverage, _Mapping]]] = ...) -> None: ...
