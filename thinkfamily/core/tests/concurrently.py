"""Run pieces of work at the same instant, each on its own thread and database connection.

The concurrency tests (prompts, referrals, merges) share this: each action is
started on a thread of its own, all are released together by a barrier, and
each thread closes its connection when done, so every action is a separate
session of the database, as two practitioners' requests are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

from thinkfamily.core.errors import ApplicationError


def at_once(*actions: Callable[[], object], timeout: float = 120) -> list[str]:
    """Run every action at the same instant; one outcome per action, in the order given.

    An outcome is "done", the message of an ApplicationError (the refusal a
    user would be shown), or "crashed: ..." for anything else, so a crash in
    a thread is reported to the test, not lost. Fails if a thread is still
    waiting after ``timeout`` seconds (a lock nobody let go).
    """
    barrier = threading.Barrier(len(actions))
    outcomes = [""] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            action()
            outcomes[index] = "done"
        except ApplicationError as error:
            outcomes[index] = error.message
        except BaseException as error:  # reported to the test, not lost in the thread
            outcomes[index] = f"crashed: {error!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting"
    return outcomes
