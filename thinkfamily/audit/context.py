"""The request id an audit entry carries (set per request by the middleware, or by a command),
and the name an agency system's calls are recorded under.

An id joins an audit entry to the web server's and proxy's logs of the same
request, so an investigation can follow one page load from the load balancer
to the rows it wrote. It lives in a context variable, not a thread-local, so
it stays right under ASGI and in threads the server reuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: An id we accept from a client or proxy: short and plain, so it is safe in a log line.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")

_request_id: ContextVar[str] = ContextVar("thinkfamily_audit_request_id", default="")
#: user id → label: entries by these users in this request are labelled so. Set for an API
#: call by its token, so that what the web app's services record names the token too.
_actor_label: ContextVar[dict[int, str] | None] = ContextVar(
    "thinkfamily_audit_actor_label", default=None
)


def current_request_id() -> str:
    """The id of the request (or command run) being served; blank for system work."""
    return _request_id.get()


def is_well_formed_request_id(value: str) -> bool:
    return REQUEST_ID_PATTERN.fullmatch(value) is not None


@contextmanager
def audit_context(*, request_id: str) -> Iterator[None]:
    """Stamp the audit entries written inside the block with ``request_id``.

    For commands and jobs that want their entries joined to a log, e.g. a
    nightly import run under the id its scheduler logged.
    """
    if not is_well_formed_request_id(request_id):
        raise ValueError("A request id is 1 to 64 letters, digits, dots, underscores or hyphens.")
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def label_actor_for_request(*, user_id: int, label: str) -> None:
    """Record the entries ``user_id`` writes in this request under ``label``.

    For an agency system's call: the token is named on every entry its
    service user writes (and a practitioner's it answers for), including
    those the web app's own services write. The request id middleware clears
    the labels when the request ends.
    """
    _actor_label.set({**(_actor_label.get() or {}), user_id: label})


def actor_label_for(user_id: int | None) -> str:
    """The label set for ``user_id`` in this request, or blank."""
    labels = _actor_label.get()
    if not labels or user_id is None:
        return ""
    return labels.get(user_id, "")
