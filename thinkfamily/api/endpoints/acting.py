"""What every act endpoint (scope ``act``) shares: a service's refusal in the one error shape.

The web app's services refuse with ``ApplicationError``; when the refusal is
about what was typed, ``extra`` maps each field at fault to what is wrong
with it (``{"note": "Add a note explaining the answer."}``). Each field comes
back as one error, so an agency system can show it beside its own input.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from thinkfamily.api.base import api, field_errors
from thinkfamily.api.idempotency import Answer, answer_once
from thinkfamily.core.errors import ApplicationError


def refused(request: HttpRequest, error: ApplicationError, status: int = 400) -> HttpResponse:
    return api.create_response(
        request, {"message": error.message, "errors": field_errors(error)}, status=status
    )


def act_once(
    request: HttpRequest,
    write: Callable[[], Answer],
    *,
    refusal_status: Callable[[ApplicationError], int] = lambda error: 400,
) -> HttpResponse:
    """``answer_once(request, write)``; a refusal undoes the write and is answered, field by
    field, with ``refusal_status(error)`` (400 unless the endpoint knows better)."""
    try:
        return answer_once(request, write)
    except ApplicationError as error:
        return refused(request, error, refusal_status(error))
