"""What every endpoint of the JSON API shares: the API object, token auth, the one error shape.

The endpoints live in ``api.endpoints`` (one router per subject) and are
mounted by ``api.api``. Every error, whoever raises it, leaves as
``{"message": ..., "errors": [{"field", "row", "reason"}]}``.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.operation import Operation
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from thinkfamily.api.models import ApiToken
from thinkfamily.api.services import api_calls_count, api_token_authenticate
from thinkfamily.audit.context import label_actor_for_request
from thinkfamily.core.errors import ApplicationError

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
#: The name of every endpoint's JSON body parameter.
BODY = "body"


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tf_<prefix>_<secret>``; the call runs as the token's service user."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = api_token_authenticate(token=token)
        if api_token is not None:
            request.user = api_token.service_user
            # Whatever the call records, here or in the web app's services, names the token.
            label_actor_for_request(user_id=api_token.service_user.pk, label=api_token.label)
        return api_token


class TokenRateThrottle(BaseThrottle):
    """At most ``THINKFAMILY_API_RATE_PER_MINUTE`` calls per token per clock minute.

    Counted in the database (``api_calls_count``), so every server process
    shares one count and two calls at once cannot both take the last place.
    """

    WINDOW_SECONDS = 60

    def allow_request(self, request: HttpRequest) -> bool:
        api_token = getattr(request, "auth", None)
        if not isinstance(api_token, ApiToken):
            return True
        now = time.time()
        minute = int(now // self.WINDOW_SECONDS)
        self.retry_after = (minute + 1) * self.WINDOW_SECONDS - now
        calls = api_calls_count(api_token=api_token, minute=minute)
        return calls <= settings.THINKFAMILY_API_RATE_PER_MINUTE

    def wait(self) -> float:
        return self.retry_after


class ThinkFamilyAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The endpoint function's own name: stable when code moves between modules."""
        return operation.view_func.__name__


api = ThinkFamilyAPI(
    title="Think Family API",
    version="1",
    description="The JSON API for agency systems. See docs/api.md.",
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    urls_namespace="api-v1",
    docs_url=None,
)


# --- The one error shape ---------------------------------------------------------------------


class ErrorDetail(Schema):
    field: str | None = Field(None, description="The input at fault, if any.")
    row: int | None = Field(None, description="The row of a batch at fault, if any.")
    reason: str


class ErrorOut(Schema):
    message: str
    errors: list[ErrorDetail] = []


#: The error answers every endpoint may give, declared in the OpenAPI document.
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 422, 429)}


def _error(
    request: HttpRequest, status: int, message: str, errors: list[dict[str, Any]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"message": message, "errors": errors or []}, status=status)


#: What pydantic puts in an error's location before the field: where the input came from,
#: and the name every endpoint gives its JSON body parameter.
_LOCATION_PREFIXES = ("query", "path", "header", "body", BODY)


def error_location(loc: tuple[Any, ...] | list[Any]) -> tuple[str | None, int | None]:
    """(field, row) for a pydantic error location: ``("body", "body", "records", 3, "sex")``
    is field ``records.sex`` in row 3; a single item's ``("body", "body", "sex")`` is ``sex``."""
    parts = list(loc)
    while parts and parts[0] in _LOCATION_PREFIXES:
        parts.pop(0)
    row = next((part for part in parts if isinstance(part, int)), None)
    field = ".".join(str(part) for part in parts if not isinstance(part, int))
    return field or None, row


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        field, row = error_location(error.get("loc", ()))
        errors.append({"field": field, "row": row, "reason": str(error.get("msg", "is not valid"))})
    return _error(request, 422, "The request is not valid.", errors)


@api.exception_handler(Throttled)
def _too_many(request: HttpRequest, exc: Throttled) -> HttpResponse:
    per_minute = settings.THINKFAMILY_API_RATE_PER_MINUTE
    return _error(
        request, 429, f"This token has made more than {per_minute} calls this minute; wait."
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "A valid API token is needed: Authorization: Bearer <token>.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """What Ninja itself refuses (a body that is not JSON is its 400) in the one error shape."""
    return _error(request, exc.status_code, str(exc) or "The request was refused.")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or "This token may not do this.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "Not found.")


def field_errors(error: ApplicationError) -> list[dict[str, Any]]:
    """One error per field a service named: ``extra={"field": name}`` names one field for the
    message; otherwise ``extra`` maps each field at fault to what is wrong with it."""
    if "field" in error.extra:
        field = error.extra["field"]
        return [{"field": str(field), "row": error.extra.get("row"), "reason": error.message}]
    return [
        {"field": str(name), "row": None, "reason": str(reason)}
        for name, reason in error.extra.items()
    ]


@api.exception_handler(ApplicationError)
def _refused(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return _error(request, 400, exc.message, field_errors(exc))


def require_scope(request: HttpRequest, scope: str) -> ApiToken:
    scope = str(scope)
    api_token: ApiToken = request.auth  # type: ignore[attr-defined]
    if scope not in api_token.scopes:
        raise PermissionDenied(f"This token does not have the {scope!r} scope.")
    return api_token


def bad_cursor() -> ValidationError:
    return ValidationError(
        [{"loc": ("query", "cursor"), "msg": "not a cursor this API gave; start again without one"}]
    )


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
