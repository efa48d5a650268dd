from services.contracts.trady.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrainRequest(_message.Message):
    __slots__ = ("symbol", "range", "config_yaml")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_YAML_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    range: _common_pb2.TimeRange
    config_yaml: str
    def __init__(self, symbol: _Optional[str] = ..., range: _Optional[_Union[_common_pb2.TimeRange, _Mapping]] = ..., config_yaml: _Optional[str] = ...) -> None: ...

class TrainResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: ModelInfo
    def __init__(self, model: _Optional[_Union[ModelInfo, _Mapping]] = ...) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("version", "symbol", "sha256", "artifact_path", "sidecar_path", "created_at_ms", "is_active", "metrics", "feature_names", "label_json", "params_json", "data_range", "test_range", "feature_set_id", "sidecar_sha256", "threshold")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    ARTIFACT_PATH_FIELD_NUMBER: _ClassVar[int]
    SIDECAR_PATH_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    FEATURE_NAMES_FIELD_NUMBER: _ClassVar[int]
    LABEL_JSON_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    DATA_RANGE_FIELD_NUMBER: _ClassVar[int]
    TEST_RANGE_FIELD_NUMBER: _ClassVar[int]
    FEATURE_SET_ID_FIELD_NUMBER: _ClassVar[int]
    SIDECAR_SHA256_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    version: str
    symbol: str
    sha256: str
    artifact_path: str
    sidecar_path: str
    created_at_ms: int
    is_active: bool
    metrics: _containers.ScalarMap[str, float]
    feature_names: _containers.RepeatedScalarFieldContainer[str]
    label_json: str
    params_json: str
    data_range: _common_pb2.TimeRange
    test_range: _common_pb2.TimeRange
    feature_set_id: str
    sidecar_sha256: str
    threshold: float
    def __init__(self, version: _Optional[str] = ..., symbol: _Optional[str] = ..., sha256: _Optional[str] = ..., artifact_path: _Optional[str] = ..., sidecar_path: _Optional[str] = ..., created_at_ms: _Optional[int] = ..., is_active: _Optional[bool] = ..., metrics: _Optional[_Mapping[str, float]] = ..., feature_names: _Optional[_Iterable[str]] = ..., label_json: _Optional[str] = ..., params_json: _Optional[str] = ..., data_range: _Optional[_Union[_common_pb2.TimeRange, _Mapping]] = ..., test_range: _Optional[_Union[_common_pb2.TimeRange, _Mapping]] = ..., feature_set_id: _Optional[str] = ..., sidecar_sha256: _Optional[str] = ..., threshold: _Optional[float] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    def __init__(self, models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ...) -> None: ...

class GetModelRequest(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: str
    def __init__(self, version: _Optional[str] = ...) -> None: ...

class ActivateModelRequest(_message.Message):
    __slots__ = ("version", "activated_by")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_BY_FIELD_NUMBER: _ClassVar[int]
    version: str
    activated_by: str
    def __init__(self, version: _Optional[str] = ..., activated_by: _Optional[str] = ...) -> None: ...

class ActivateModelResponse(_message.Message):
    __slots__ = ("model", "previous_version")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    model: ModelInfo
    previous_version: str
    def __init__(self, model: _Optional[_Union[ModelInfo, _Mapping]] = ..., previous_version: _Optional[str] = ...) -> None: ...

class GetActiveModelRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class ListActivationsRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class Activation(_message.Message):
    __slots__ = ("symbol", "version", "previous_version", "activated_by", "activated_at_ms")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_BY_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    version: str
    previous_version: str
    activated_by: str
    activated_at_ms: int
    def __init__(self, symbol: _Optional[str] = ..., version: _Optional[str] = ..., previous_version: _Optional[str] = ..., activated_by: _Optional[str] = ..., activated_at_ms: _Optional[int] = ...) -> None: ...

class ListActivationsResponse(_message.Message):
    __slots__ = ("activations",)
    ACTIVATIONS_FIELD_NUMBER: _ClassVar[int]
    activations: _containers.RepeatedCompositeFieldContainer[Activation]
    def __init__(self, activations: _Optional[_Iterable[_Union[Activation, _Mapping]]] = ...) -> None: ...

class GetStudyReportRequest(_message.Message):
    __slots__ = ("symbol", "study", "file")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    STUDY_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    study: str
    file: str
    def __init__(self, symbol: _Optional[str] = ..., study: _Optional[str] = ..., file: _Optional[str] = ...) -> None: ...

class GetStudyReportResponse(_message.Message):
    __slots__ = ("content", "media_type")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    media_type: str
    def __init__(self, content: _Optional[bytes] = ..., media_type: _Optional[str] = ...) -> None: ...
