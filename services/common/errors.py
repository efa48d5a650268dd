"""Error taxonomy shared by every service: the class says how a caller should react.

Domain code raises these; servicers map them to gRPC status codes, clients map the codes back,
and the gateway maps them to HTTP statuses, so one meaning travels unchanged end to end.
"""

from __future__ import annotations


class TradyError(Exception):
    """Base class. `retryable` tells callers (and job retries) whether trying again can help."""

    retryable = False


class InvalidInput(TradyError):
    """The request or its data is wrong; retrying the same input will fail the same way."""


class NotFound(TradyError):
    """The named symbol, model, dataset or job does not exist."""


class Conflict(TradyError):
    """The request is valid but the system's state does not allow it (e.g. no active model)."""


class IntegrityFailure(TradyError):
    """Stored data failed verification (e.g. a model file whose hash does not match)."""


class Unavailable(TradyError):
    """A dependency (Redis, the database, another service) did not answer; try again later."""

    retryable = True
