"""Map the error taxonomy to gRPC status codes and back.

Servicers call `abort_with` (or use `@maps_errors`); clients wrap calls in `raise_from_rpc`
so callers only ever see `services.common.errors` classes.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import grpc

from services.common import errors

_TO_CODE: list[tuple[type[errors.TradyError], grpc.StatusCode]] = [
    (errors.InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.Conflict, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.IntegrityFailure, grpc.StatusCode.DATA_LOSS),
    (errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
]
_FROM_CODE = {code: cls for cls, code in _TO_CODE}
_FROM_CODE[grpc.StatusCode.DEADLINE_EXCEEDED] = errors.Unavailable


def status_for(exc: errors.TradyError) -> grpc.StatusCode:
    for cls, code in _TO_CODE:
        if isinstance(exc, cls):
            return code
    return grpc.StatusCode.INTERNAL


async def abort_with(context: grpc.aio.ServicerContext[Any, Any], exc: Exception) -> NoReturn:
    """Abort the RPC with the code that matches `exc` (INTERNAL for unknown errors)."""
    if isinstance(exc, errors.TradyError):
        await context.abort(status_for(exc), str(exc))
    await context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")
    raise AssertionError("unreachable")  # context.abort always raises


F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def maps_errors(method: F) -> F:
    """Decorate an async servicer method so domain errors become status codes."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: Any) -> Any:
        try:
            return await method(self, request, context)
        except errors.TradyError as exc:
            await abort_with(context, exc)

    return wrapper  # type: ignore[return-value]


def error_from_rpc(exc: grpc.RpcError) -> errors.TradyError:
    """Turn an RpcError from a call back into the domain error it stands for."""
    code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    detail = exc.details() if hasattr(exc, "details") else str(exc)
    cls = _FROM_CODE.get(code, errors.TradyError)
    if code == grpc.StatusCode.UNAVAILABLE:
        detail = f"service unavailable: {detail}"
    return cls(detail or code.name)


@contextmanager
def raise_from_rpc() -> Iterator[None]:
    """Context manager for client calls: RpcError -> domain error."""
    try:
        yield
    except grpc.RpcError as exc:
        raise error_from_rpc(exc) from None
