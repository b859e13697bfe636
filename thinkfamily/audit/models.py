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
    "who looked at this child?". Each entry carries the hash of the one before
    it, so removing or altering an entry breaks the chain and is detected by
    ``audit.services.audit_chain_verify``.
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
        """The SHA-256 of this entry's content chained to the previous entry's hash."""
        content = {
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
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()
