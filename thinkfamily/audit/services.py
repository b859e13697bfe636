"""Writing and checking the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.audit.context import actor_label_for, current_request_id
from thinkfamily.audit.models import AuditEvent

GENESIS_HASH = "0" * 64
#: The PostgreSQL advisory lock that makes appends to the chain one at a time ("audit" in ASCII).
CHAIN_LOCK = 0x6175646974
#: Entries read from the database at a time while verifying: the chain is never all in memory.
VERIFY_CHUNK_SIZE = 2000


def audit_chain_hold() -> None:
    """Take the audit trail's lock now, until the transaction ends (a no-op on SQLite).

    ``audit_record`` takes it anyway; a service that will write an entry
    takes it first when it also locks rows that work already holding the
    trail (an import, a merge) goes on to lock, so the two wait for each
    other in the same order instead of deadlocking.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])


def audit_record(
    *,
    actor: User | None,
    action: str,
    object_type: str = "",
    object_id: object = "",
    reason: str = "",
    detail: dict[str, object] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one entry to the audit trail, chained to the entry before it.

    Call it inside the transaction of the change (or read) it records, so the
    entry exists exactly when the thing it describes happened. Writers take
    the chain's lock (held to the end of their transaction) before reading the
    last entry, so two writers cannot both chain to it. (A row lock on the
    last entry is not enough on PostgreSQL: the second writer waits for it,
    then is given that same row, not the entry the first has just added.)
    SQLite has one writer at a time, so there the transaction is the lock. The entry
    carries the id of the web request being served (``audit.middleware``) or
    of a command's ``audit_context``; none for other system work.
    """
    with transaction.atomic():
        audit_chain_hold()
        last = AuditEvent.objects.order_by("-id").only("entry_hash").first()
        entry = AuditEvent(
            occurred_at=timezone.now(),
            actor=actor,
            actor_label=actor_label
            or actor_label_for(actor.pk if actor else None)
            or (actor.get_username() if actor else "system"),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            reason=reason,
            detail=detail or {},
            request_id=current_request_id(),
            previous_hash=last.entry_hash if last else GENESIS_HASH,
        )
        entry.entry_hash = entry.compute_hash()
        entry.save()
    return entry


@dataclass(frozen=True)
class ChainCheck:
    """The result of verifying the audit chain: intact, or where it first breaks and how.

    ``problem`` is one of the ``ALTERED``, ``UNLINKED`` and ``BAD_GENESIS``
    codes below (blank when intact); ``reason`` says it in words for the
    person investigating. ``previous_id`` is the entry the broken one should
    have chained to, so a removal or insertion is located between two ids.
    """

    #: The entry's own hash does not match its contents: it was altered after it was written.
    ALTERED = "altered"
    #: The entry does not chain to the one before it: an entry was removed or inserted there.
    UNLINKED = "unlinked"
    #: The first entry does not start from the genesis hash: earlier entries were removed.
    BAD_GENESIS = "bad_genesis"

    entries: int
    first_broken_id: int | None = None
    first_broken_at: datetime | None = None
    previous_id: int | None = None
    problem: str = ""
    reason: str = ""
    last_hash: str = GENESIS_HASH

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None

    def as_dict(self) -> dict[str, object]:
        return {
            "intact": self.intact,
            "entries": self.entries,
            "last_hash": self.last_hash,
            "first_broken_id": self.first_broken_id,
            "first_broken_at": self.first_broken_at.isoformat() if self.first_broken_at else None,
            "previous_id": self.previous_id,
            "problem": self.problem or None,
            "reason": self.reason or None,
        }


def _broken_link(
    entry: AuditEvent, *, previous_id: int | None, previous_hash: str
) -> tuple[str, str] | None:
    """What is wrong with ``entry`` given the entry before it; None if it chains soundly.

    Its own hash is checked first: an altered entry is named as altered even
    if the alteration was to its ``previous_hash``.
    """
    if entry.compute_hash() != entry.entry_hash:
        return (
            ChainCheck.ALTERED,
            f"entry {entry.pk}'s hash does not match its contents: "
            "it was altered after it was written",
        )
    if entry.previous_hash == previous_hash:
        return None
    if previous_id is None:
        return (
            ChainCheck.BAD_GENESIS,
            f"the first entry, {entry.pk}, does not start from the genesis hash: "
            "entries before it were removed",
        )
    return (
        ChainCheck.UNLINKED,
        f"entry {entry.pk} does not chain to entry {previous_id} before it: "
        f"an entry was removed or inserted between {previous_id} and {entry.pk}",
    )


def audit_chain_verify() -> ChainCheck:
    """Recompute every entry's hash in id order; report the first entry that does not chain.

    Streams the trail in chunks, so a trail of millions of entries is checked
    in constant memory. Returns the number of entries read (up to and
    including the broken one) and, when intact, the last entry's hash: keep
    it somewhere else (a ticket, a signed email) and a later truncation of
    the trail's tail can be shown too.
    """
    previous_hash, previous_id, count = GENESIS_HASH, None, 0
    for entry in AuditEvent.objects.order_by("id").iterator(chunk_size=VERIFY_CHUNK_SIZE):
        count += 1
        broken = _broken_link(entry, previous_id=previous_id, previous_hash=previous_hash)
        if broken is not None:
            problem, reason = broken
            return ChainCheck(
                entries=count,
                first_broken_id=entry.pk,
                first_broken_at=entry.occurred_at,
                previous_id=previous_id,
                problem=problem,
                reason=reason,
                last_hash=previous_hash,
            )
        previous_hash, previous_id = entry.entry_hash, entry.pk
    return ChainCheck(entries=count, last_hash=previous_hash)
