"""The audit trail: who saw or changed what, when, and why they were allowed to."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("The audit trail is append-only: audit events are never updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only: audit events are never deleted.")


class AuditEvent(models.Model):
    """One entry in the append-only audit trail.

    Reads are recorded as well as writes: a safeguarding record must answer
    "who looked at this child?", and a person may ask the same question of
    their own record (a subject access request). Each entry names who acted
    (``actor`` and ``actor_label``), what they did (``action``), to what
    (``object_type`` and ``object_id``), why they were allowed to (``reason``),
    when (``occurred_at``) and under which web request (``request_id``).

    Each entry also carries the hash of the one before it and its own hash,
    the SHA-256 of every other field (see ``compute_hash``), so altering,
    removing or inserting an entry breaks the chain and
    ``audit.services.audit_chain_verify`` says where. The application never
    updates or deletes an entry (the QuerySet, ``save`` and ``delete`` refuse),
    and the database refuses too: migration 0009 installs triggers that reject
    UPDATE, DELETE and TRUNCATE on this table.

    Hash compatibility: ``request_id`` came after the first entries were
    written. It enters the hashed content only when it is not blank, so an
    entry without one (every entry written before it existed, and those of
    commands and system processes today) hashes exactly as it did, and the
    chains of deployed databases still verify without a version field.
    """

    class Action(models.TextChoices):
        VIEW_PERSON = "view_person", "Viewed a person"
        VIEW_HOUSEHOLD = "view_household", "Viewed a household"
        SEARCH = "search", "Searched for people"
        IMPORT = "import", "Imported an extract"
        LINK = "link", "Linked records"
        MERGE = "merge", "Merged people"
        UNMERGE = "unmerge", "Undid a merge"
        REVIEW = "review", "Reviewed a candidate pair"
        VIEW_WORKLIST = "view_worklist", "Viewed a worklist"
        SIGN_IN = "sign_in", "Signed in"
        SIGN_OUT = "sign_out", "Signed out"
        EXPORT = "export", "Exported a record"
        RECORD_CONCERN = "record_concern", "Recorded a concern"
        RAISE_PROMPTS = "raise_prompts", "Raised prompts"
        VIEW_PROMPT = "view_prompt", "Viewed a prompt"
        ANSWER_PROMPT = "answer_prompt", "Answered a prompt"
        REFERRAL_STEP = "referral_step", "Took a step on a referral"
        VIEW_REFERRAL = "view_referral", "Viewed a referral"
        RECORD_CONVERSATION = "record_conversation", "Recorded or amended a conversation"
        ACKNOWLEDGE_CONVERSATION = "acknowledge_conversation", "Acknowledged or disputed a record"
        UPDATE_ACTION = "update_action", "Updated an agreed action"
        VIEW_CONVERSATION = "view_conversation", "Viewed a conversation"
        RECORD_AGREEMENT = "record_agreement", "Recorded or changed a verbal agreement"
        REVIEW_AGREEMENT = "review_agreement", "Reviewed a verbal agreement"
        VIEW_AGREEMENT = "view_agreement", "Viewed a verbal agreement"
        RECORD_REVIEW = "record_review", "Recorded or changed a case review"
        VIEW_REVIEW = "view_review", "Viewed a case review"
        RECORD_LEARNING = "record_learning", "Recorded an action, evidence, check or briefing"
        BREAK_GLASS = "break_glass", "Opened a record by break-glass"
        REVIEW_BREAK_GLASS = "review_break_glass", "Reviewed a break-glass opening"
        VIEW_ACCESS_LOG = "view_access_log", "Viewed who has looked at a record"
        ISSUE_TOKEN = "issue_token", "Issued an API token to an agency system"
        REVOKE_TOKEN = "revoke_token", "Revoked an agency system's API token"
        BACKUP = "backup", "Backed up the database"
        RESTORE = "restore", "Restored the database from a backup"

    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(
        max_length=200, help_text="Username, or the system process that acted."
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=50, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="Why the access was allowed.")
    detail = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The X-Request-ID of the web request; blank for commands and system work.",
    )
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.get_action_display().lower()} at {self.occurred_at}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only: audit events are never updated.")
        super().save(*args, **kwargs)  # type: ignore[arg-type,unused-ignore]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only: audit events are never deleted.")

    def compute_hash(self) -> str:
        """The SHA-256 of every field of this entry, the previous entry's hash among them.

        The content is canonical JSON (sorted keys, no spaces), so the same
        entry hashes the same on SQLite and PostgreSQL, whatever order the
        database returns ``detail``'s keys in. A blank ``request_id`` is left
        out of the content, so entries from before it existed still verify.
        """
        content: dict[str, object] = {
            "occurred_at": self.occurred_at.isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "reason": self.reason,
            "detail": self.detail,
            "previous_hash": self.previous_hash,
        }
        if self.request_id:
            content["request_id"] = self.request_id
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()
