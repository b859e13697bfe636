"""Running a transaction again when the database asks for it.

PostgreSQL may end a transaction that did nothing wrong: it picks one of two
transactions waiting on each other's locks and aborts it (``deadlock_detected``,
SQLSTATE 40P01), or aborts one whose reads a concurrent commit made stale
under a stricter isolation level (``serialization_failure``, 40001). The
right answer to both is to run the whole transaction again from the start;
nothing it wrote was kept. Any other error is a real one and is raised at once.

Locks taken in a consistent order (by primary key) prevent most deadlocks;
this is for the ones two unrelated pieces of work can still meet in. SQLite
never raises either: with IMMEDIATE transactions one writer waits for the other.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar, overload

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

__all__ = ["RETRYABLE_SQLSTATES", "is_retryable", "retrying_atomic"]

#: serialization_failure and deadlock_detected: the database asks for the work to be redone.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})

P = ParamSpec("P")
R = TypeVar("R")


def is_retryable(error: BaseException) -> bool:
    """Whether ``error`` is the database asking for the transaction to be run again."""
    while error is not None:
        if getattr(error, "sqlstate", None) in RETRYABLE_SQLSTATES:  # psycopg 3
            return True
        if getattr(error, "pgcode", None) in RETRYABLE_SQLSTATES:  # psycopg 2
            return True
        error = error.__cause__  # type: ignore[assignment]
    return False


@overload
def retrying_atomic(func: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def retrying_atomic(
    *, attempts: int = ..., using: str = ...
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def retrying_atomic(
    func: Callable[P, R] | None = None, *, attempts: int = 4, using: str = DEFAULT_DB_ALIAS
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """Run ``func`` in ``transaction.atomic``; again, up to ``attempts`` runs, on 40001 or 40P01.

    Called inside an outer transaction it is a plain ``atomic`` block: the
    whole outer transaction is what was aborted, so only its outermost
    ``retrying_atomic`` can run it again. Each retry waits a little longer
    (10 ms, 20 ms, 40 ms…) so the two parties do not meet again at once.

    Example:
        >>> @retrying_atomic
        ... def concern_record(*, person, by, ...): ...
    """

    def decorate(inner: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(inner)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            if connections[using].in_atomic_block:
                with transaction.atomic(using=using):
                    return inner(*args, **kwargs)
            for attempt in range(1, attempts + 1):
                try:
                    with transaction.atomic(using=using):
                        return inner(*args, **kwargs)
                except OperationalError as error:
                    if attempt == attempts or not is_retryable(error):
                        raise
                time.sleep(0.01 * 2 ** (attempt - 1))
            raise AssertionError("unreachable")  # pragma: no cover

        return run

    if func is not None:
        return decorate(func)
    return decorate
