from services.contracts.trady.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BuildFeaturesRequest(_message.Message):
    __slots__ = ("symbol", "range", "config_yaml")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_YAML_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    range: _common_pb2.TimeRange
    config_yaml: str
    def __init__(self, symbol: _Optional[str] = ..., range: _Optional[_Union[_common_pb2.TimeRange, _Mapping]] = ..., config_yaml: _Optional[str] = ...) -> None: ...

class BuildFeaturesResponse(_message.Message):
    __slots__ = ("symbol", "dataset_path", "rows", "feature_names", "label_name", "label_json", "first_ms", "last_ms", "feature_set_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    DATASET_PATH_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    LABEL_NAME_FIELD_NUMBER: _ClassVar[int]
    LABEL_JSON_FIELD_NUMBER: _ClassVar[int]
    FIRST_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_MS_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SET_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    dataset_path: str
    rows: int
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    label_name: str
    label_json: str
    first_ms: int
    last_ms: int
    feature_set_id: str
    def __init__(self, symbol: _Optional[str] = ..., dataset_path: _Optional[str] = ..., rows: _Optional[int] = ..., feature_names: _Optional[_Iterable[str]] = ..., label_name: _Optional[str] = ..., label_json: _Optional[str] = ..., first_ms: _Optional[int] = ..., last_ms: _Optional[int] = ..., feature_set_id: _Optional[str] = ...) -> None: ...

class GetLatestFeaturesRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GetLatestFeaturesResponse(_message.Message):
    __slots__ = ("symbol", "timestamp_ms", "feature_names", "values", "feature_set_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SET_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    timestamp_ms: int
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    values: _containers.RepeatedScalarFieldContainer[float]
    feature_set_id: str
    def __init__(self, symbol: _Optional[str] = ..., timestamp_ms: _Optional[int] = ..., feature_names: _Optional[_Iterable[str]] = ..., values: _Optional[_Iterable[float]] = ..., feature_set_id: _Optional[str] = ...) -> None: ...
