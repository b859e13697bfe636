"""Give every request an id, for the audit trail and for the logs that sit beside it."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from thinkfamily.audit.context import _actor_label, _request_id, is_well_formed_request_id

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Take the proxy's ``X-Request-ID`` if it is well formed, else make one; echo it back.

    First in ``MIDDLEWARE`` so that everything after it, including sign-in,
    writes its audit entries under the id. A malformed header is replaced, not
    trusted: it would otherwise be copied into the audit trail and the logs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if is_well_formed_request_id(offered) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        label_token = _actor_label.set(None)
        try:
            response = self.get_response(request)
        finally:
            _actor_label.reset(label_token)
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response
