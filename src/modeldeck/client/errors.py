"""What the Python client raises: the server's problem details, typed; and the pool's errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class ModelDeckError(Exception):
    """An error answered by Model Deck (RFC 9457 problem details), or the lack of an answer."""

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        title: str | None = None,
        type: str | None = None,
        errors: Sequence[Mapping[str, str]] = (),
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title or _default_title(status)
        self.detail = detail
        self.type = type
        self.errors: list[dict[str, str]] = [dict(error) for error in errors]

    @classmethod
    def from_problem(cls, status: int, problem: Mapping[str, Any] | None) -> ModelDeckError:
        """The exception for an HTTP error, typed by its status."""
        problem = problem or {}
        kind = ERRORS_BY_STATUS.get(status, ServerError if status >= 500 else ModelDeckError)
        detail = problem.get("detail") or problem.get("title") or f"HTTP {status}"
        raw_errors = problem.get("errors")
        errors = [
            {"field": str(item.get("field", "")), "message": str(item.get("message", ""))}
            for item in (raw_errors if isinstance(raw_errors, list) else [])
            if isinstance(item, Mapping)
        ]
        return kind(
            str(detail),
            status=status,
            title=str(problem["title"]) if problem.get("title") else None,
            type=str(problem["type"]) if problem.get("type") else None,
            errors=errors,
        )

    def __str__(self) -> str:
        if self.errors:
            fields = "; ".join(f"{error['field']}: {error['message']}" for error in self.errors)
            if fields not in self.detail:
                return f"{self.detail} ({fields})"
        return self.detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, detail={self.detail!r})"


def _default_title(status: int | None) -> str | None:
    return {
        400: "Bad request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not found",
        409: "Conflict",
        412: "Precondition failed",
        422: "Invalid input",
    }.get(status or 0)


class BadRequest(ModelDeckError):
    """400: the request itself is malformed (for example, not JSON)."""


class Unauthorized(ModelDeckError):
    """401: no token, or a token the server does not know."""


class Forbidden(ModelDeckError):
    """403: the token may read but not write."""


class NotFound(ModelDeckError, LookupError):
    """404: no such model (or endpoint)."""


class Conflict(ModelDeckError):
    """409: a duplicate name, a system or default model that cannot change that way."""


class PreconditionFailed(ModelDeckError):
    """412: `if_match` named an old version; someone changed the model meanwhile."""


class ValidationFailed(ModelDeckError, ValueError):
    """422: a field is invalid; `errors` names each field and what is wrong with it."""


class ServerError(ModelDeckError):
    """5xx from a server that answered."""


class RegistryUnavailable(ModelDeckError):
    """The server could not be reached (or failed) and this call has no offline answer."""


ERRORS_BY_STATUS: dict[int, type[ModelDeckError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    422: ValidationFailed,
}


class RegistryFallbackWarning(UserWarning):
    """A read was answered from the on-disk snapshot or the built-in catalog, not the server."""


class ChangeFeedWarning(UserWarning):
    """A `ClientPool` stopped following the change feed, or keeps failing to: its clients may
    be out of date (`pool.healthy` is False until it follows again)."""


class ClientPoolError(Exception):
    """A provider client cannot be handed out for a model; the message says what to do."""


class UnknownModel(ClientPoolError, LookupError):
    """No model of that name (or id) is in the pool: never was, or was deleted."""


class ModelDisabled(ClientPoolError):
    """The model is disabled in the registry."""


class UnsupportedProvider(ClientPoolError):
    """The pool builds no client for this model's provider (or host); use its own SDK."""


class MissingExtra(UnsupportedProvider, ImportError):
    """The provider's SDK is not installed: the message names the extra to install."""


class MissingApiKey(ClientPoolError):
    """No API key: the named environment variable is unset and no key was resolved."""


class MissingEndpoint(ClientPoolError):
    """The provider needs an endpoint (Azure, OpenAI-compatible) and the record has none."""


class EndpointNotAllowed(ClientPoolError):
    """An outbound guard refused the endpoint's address before connecting (the server's /test)."""
