"""A transaction the database aborts as a deadlock or serialisation failure is run again.

The unit tests fake the driver's error; the last test makes a real one: two
threads lock the same two people in opposite orders, which PostgreSQL
answers by aborting one of them (40P01). Wrapped in ``retrying_atomic`` both
finish. On SQLite the IMMEDIATE transactions make the second wait for the
first, so there is no deadlock to retry, and both finish too.
"""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, OperationalError, connection

from thinkfamily.core.retry import is_retryable, retrying_atomic
from thinkfamily.people.models import Person


class FakeDriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def aborted(sqlstate: str) -> OperationalError:
    """A Django OperationalError wrapping a driver error with this SQLSTATE, as Django raises it."""
    try:
        try:
            raise FakeDriverError(sqlstate)
        except FakeDriverError as cause:
            raise OperationalError(str(cause)) from cause
    except OperationalError as error:
        return error


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_deadlock_and_serialisation_failure_ask_for_a_retry(sqlstate):
    assert is_retryable(aborted(sqlstate))


@pytest.mark.parametrize("sqlstate", ["55P03", "23505", "57014"])
def test_other_database_errors_do_not(sqlstate):
    assert not is_retryable(aborted(sqlstate))


@pytest.mark.django_db(transaction=True)
def test_a_transaction_aborted_by_the_database_runs_again_and_keeps_only_the_last_run():
    calls = []

    @retrying_atomic
    def record(given_name: str) -> Person:
        calls.append(given_name)
        person = Person.objects.create(given_name=given_name, family_name="Retry")
        if len(calls) < 3:
            raise aborted("40P01")
        return person

    person = record("Ada")

    assert calls == ["Ada", "Ada", "Ada"]
    assert list(Person.objects.values_list("pk", flat=True)) == [person.pk]


@pytest.mark.django_db(transaction=True)
def test_retries_are_bounded_and_the_last_error_is_raised():
    calls = []

    @retrying_atomic(attempts=2)
    def always_aborted() -> None:
        calls.append(1)
        Person.objects.create(given_name="Bea", family_name="Retry")
        raise aborted("40001")

    with pytest.raises(OperationalError):
        always_aborted()
    assert len(calls) == 2
    assert not Person.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_any_other_error_is_raised_at_once():
    calls = []

    @retrying_atomic
    def broken() -> None:
        calls.append(1)
        raise IntegrityError("duplicate key")

    @retrying_atomic
    def cancelled() -> None:
        calls.append(2)
        raise aborted("57014")  # query_canceled: an operational error, but not one to retry

    with pytest.raises(IntegrityError):
        broken()
    with pytest.raises(OperationalError):
        cancelled()
    assert calls == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_inside_an_outer_transaction_only_the_outermost_block_retries():
    calls = []

    @retrying_atomic
    def inner() -> None:
        calls.append("inner")
        raise aborted("40P01")

    @retrying_atomic(attempts=2)
    def outer() -> None:
        calls.append("outer")
        inner()

    with pytest.raises(OperationalError):
        outer()
    assert calls == ["outer", "inner", "outer", "inner"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(2))
def test_two_transactions_locking_the_same_rows_in_opposite_orders_both_finish(attempt):
    first = Person.objects.create(given_name="Cal", family_name="Retry")
    second = Person.objects.create(given_name="Dot", family_name="Retry")
    # On PostgreSQL both take their first lock, then meet; SQLite's IMMEDIATE transactions
    # cannot both begin, so there they meet before beginning.
    meet_holding_a_lock = connection.vendor == "postgresql"
    barrier = threading.Barrier(2)
    runs: list[str] = []
    errors: list[BaseException] = []

    def lock_in_order(name: str, order: list[Person]) -> None:
        @retrying_atomic
        def lock_both() -> None:
            runs.append(name)
            Person.objects.select_for_update().filter(pk=order[0].pk).update(sex="F")
            if meet_holding_a_lock and runs.count(name) == 1:
                barrier.wait(timeout=10)
            Person.objects.select_for_update().filter(pk=order[1].pk).update(sex="M")

        try:
            if not meet_holding_a_lock:
                barrier.wait(timeout=10)
            lock_both()
        except BaseException as error:  # reported to the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=lock_in_order, args=("one", [first, second])),
        threading.Thread(target=lock_in_order, args=("two", [second, first])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    if meet_holding_a_lock:
        assert len(runs) == 3, runs  # one of the two was aborted as a deadlock, and ran again
    else:
        assert sorted(runs) == ["one", "two"]
