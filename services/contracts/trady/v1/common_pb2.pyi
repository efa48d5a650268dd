from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class TimeRange(_message.Message):
    __slots__ = ("start_ms", "end_ms")
    START_MS_FIELD_NUMBER: _ClassVar[int]
    END_MS_FIELD_NUMBER: _ClassVar[int]
    start_ms: int
    end_ms: int
    def __init__(self, start_ms: _Optional[int] = ..., end_ms: _Optional[int] = ...) -> None: ...

class Bar(_message.Message):
    __slots__ = ("open_time_ms", "open", "high", "low", "close", "volume", "buy_volume", "sell_volume", "trade_count", "vwap", "plus_tick_count", "zero_plus_tick_count", "minus_tick_count", "zero_minus_tick_count")
    OPEN_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    BUY_VOLUME_FIELD_NUMBER: _ClassVar[int]
    SELL_VOLUME_FIELD_NUMBER: _ClassVar[int]
    TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    VWAP_FIELD_NUMBER: _ClassVar[int]
    PLUS_TICK_COUNT_FIELD_NUMBER: _ClassVar[int]
    ZERO_PLUS_TICK_COUNT_FIELD_NUMBER: _ClassVar[int]
    MINUS_TICK_COUNT_FIELD_NUMBER: _ClassVar[int]
    ZERO_MINUS_TICK_COUNT_FIELD_NUMBER: _ClassVar[int]
    open_time_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    buy_volume: float
    sell_volume: float
    trade_count: int
    vwap: float
    plus_tick_count: int
    zero_plus_tick_count: int
    minus_tick_count: int
    zero_minus_tick_count: int
    def __init__(self, open_time_ms: _Optional[int] = ..., open: _Optional[float] = ..., high: _Optional[float] = ..., low: _Optional[float] = ..., close: _Optional[float] = ..., volume: _Optional[float] = ..., buy_volume: _Optional[float] = ..., sell_volume: _Optional[float] = ..., trade_count: _Optional[int] = ..., vwap: _Optional[float] = ..., plus_tick_count: _Optional[int] = ..., zero_plus_tick_count: _Optional[int] = ..., minus_tick_count: _Optional[int] = ..., zero_minus_tick_count: _Optional[int] = ...) -> None: ...
