"""``Idempotency-Key``: a retried write gets the first answer and writes nothing more.

An agency system that loses the answer to a write (a timeout, a dropped
connection) cannot know whether it was made. It sends the same request again
with the same ``Idempotency-Key`` header, and gets back exactly the answer the
first request got, with ``Idempotent-Replayed: true``; nothing is written twice.

The write and the answer it got are kept in one transaction: if the write
fails, nothing is kept and a retry runs it afresh. Two requests with the same
key at the same moment are settled by the unique constraint on (token, key):
the second waits for the first, finds its answer and gives it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from ninja.errors import ValidationError

from thinkfamily.api.base import api
from thinkfamily.api.models import ApiToken, IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200

#: What a write hands back: its status code and the JSON payload of its answer.
Answer = tuple[int, dict[str, Any]]


def _request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.path):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _key_problem(key: str) -> ValidationError:
    return ValidationError([{"loc": ("header", HEADER), "msg": key}])


def _replay(earlier: IdempotentRequest, request_hash: str) -> HttpResponse:
    if earlier.request_hash != request_hash:
        raise _key_problem(
            "was first used for a different request; use a new key for a new request"
        )
    response = HttpResponse(
        earlier.response_body, status=earlier.status_code, content_type="application/json"
    )
    response["Idempotent-Replayed"] = "true"
    return response


def answer_once(request: HttpRequest, write: Callable[[], Answer]) -> HttpResponse:
    """Run ``write`` and answer with what it returns; with a key, only once per key.

    Without an ``Idempotency-Key`` header the write simply runs. With one, a
    key this token has used before answers with the stored answer (or 422 if
    the request is not the same one), and a new key runs the write and keeps
    its answer in the same transaction.
    """
    key = request.headers.get(HEADER)
    if key is None:
        status, payload = write()
        return api.create_response(request, payload, status=status)
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise _key_problem(f"must be 1 to {MAX_KEY_LENGTH} printable characters")
    api_token: ApiToken = request.auth  # type: ignore[attr-defined]
    request_hash = _request_hash(request)
    try:
        with transaction.atomic():
            earlier = (
                IdempotentRequest.objects.select_for_update()
                .filter(token=api_token, key=key)
                .first()
            )
            if earlier is not None:
                return _replay(earlier, request_hash)
            status, payload = write()
            response = api.create_response(request, payload, status=status)
            IdempotentRequest.objects.create(
                token=api_token,
                key=key,
                request_hash=request_hash,
                status_code=status,
                response_body=response.content.decode(),
            )
            return response
    except IntegrityError:
        # A request with the same key committed first; everything this one wrote is undone.
        earlier = IdempotentRequest.objects.filter(token=api_token, key=key).first()
        if earlier is None:
            raise
        return _replay(earlier, request_hash)
