from services.contracts.trady.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunBacktestRequest(_message.Message):
    __slots__ = ("symbol", "model_version", "range", "threshold", "holding_bars", "fee_bps", "run_id", "rule")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    HOLDING_BARS_FIELD_NUMBER: _ClassVar[int]
    FEE_BPS_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    model_version: str
    range: _common_pb2.TimeRange
    threshold: float
    holding_bars: int
    fee_bps: float
    run_id: str
    rule: TradingRule
    def __init__(self, symbol: _Optional[str] = ..., model_version: _Optional[str] = ..., range: _Optional[_Union[_common_pb2.TimeRange, _Mapping]] = ..., threshold: _Optional[float] = ..., holding_bars: _Optional[int] = ..., fee_bps: _Optional[float] = ..., run_id: _Optional[str] = ..., rule: _Optional[_Union[TradingRule, _Mapping]] = ...) -> None: ...

class TradingRule(_message.Message):
    __slots__ = ("mode", "k_tp", "k_sl", "ev_margin", "slippage_bps", "max_hold_bars", "on_opposite", "sides")
    MODE_FIELD_NUMBER: _ClassVar[int]
    K_TP_FIELD_NUMBER: _ClassVar[int]
    K_SL_FIELD_NUMBER: _ClassVar[int]
    EV_MARGIN_FIELD_NUMBER: _ClassVar[int]
    SLIPPAGE_BPS_FIELD_NUMBER: _ClassVar[int]
    MAX_HOLD_BARS_FIELD_NUMBER: _ClassVar[int]
    ON_OPPOSITE_FIELD_NUMBER: _ClassVar[int]
    SIDES_FIELD_NUMBER: _ClassVar[int]
    mode: str
    k_tp: float
    k_sl: float
    ev_margin: float
    slippage_bps: float
    max_hold_bars: int
    on_opposite: str
    sides: str
    def __init__(self, mode: _Optional[str] = ..., k_tp: _Optional[float] = ..., k_sl: _Optional[float] = ..., ev_margin: _Optional[float] = ..., slippage_bps: _Optional[float] = ..., max_hold_bars: _Optional[int] = ..., on_opposite: _Optional[str] = ..., sides: _Optional[str] = ...) -> None: ...

class RunBacktestResponse(_message.Message):
    __slots__ = ("run_id", "report_json_path", "report_html_path", "summary", "model_version")
    class SummaryEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REPORT_JSON_PATH_FIELD_NUMBER: _ClassVar[int]
    REPORT_HTML_PATH_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    report_json_path: str
    report_html_path: str
    summary: _containers.ScalarMap[str, float]
    model_version: str
    def __init__(self, run_id: _Optional[str] = ..., report_json_path: _Optional[str] = ..., report_html_path: _Optional[str] = ..., summary: _Optional[_Mapping[str, float]] = ..., model_version: _Optional[str] = ...) -> None: ...
