"""Writing and checking the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from thinkfamily.accounts.models import User
from thinkfamily.audit.models import AuditEvent

GENESIS_HASH = "0" * 64


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
    entry exists exactly when the thing it describes happened. The last entry
    is read with a row lock so two writers cannot both chain to it.
    """
    with transaction.atomic():
        last = AuditEvent.objects.select_for_update().order_by("-id").only("entry_hash").first()
        entry = AuditEvent(
            occurred_at=timezone.now(),
            actor=actor,
            actor_label=actor_label or (actor.get_username() if actor else "system"),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            reason=reason,
            detail=detail or {},
            previous_hash=last.entry_hash if last else GENESIS_HASH,
        )
        entry.entry_hash = entry.compute_hash()
        entry.save()
    return entry


@dataclass(frozen=True)
class ChainCheck:
    """The result of verifying the audit chain: how many entries, and the first broken one."""

    entries: int
    first_broken_id: int | None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def audit_chain_verify() -> ChainCheck:
    """Recompute every entry's hash in order; report the first entry that does not chain."""
    previous = GENESIS_HASH
    count = 0
    for entry in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if entry.previous_hash != previous or entry.compute_hash() != entry.entry_hash:
            return ChainCheck(entries=count, first_broken_id=entry.pk)
        previous = entry.entry_hash
    return ChainCheck(entries=count, first_broken_id=None)
