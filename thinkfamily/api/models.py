"""The tokens by which agency systems call the JSON API."""

from django.db import models

from thinkfamily.accounts.models import Agency, User


class ApiToken(models.Model):
    """An agency system's credential for the JSON API, acting through its own service user.

    Every call is made as ``service_user`` (a practitioner of the token's
    agency that cannot sign in to the web), so every access rule of the web
    app applies to the system unchanged. Only the SHA-256 hash of the token is
    kept; the ``prefix`` names the token in lists, logs and the audit trail.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read people and chronologies"
        PUSH = "push", "Push records and events"
        ACT = "act", "Act on prompts and referrals"

    name = models.CharField(max_length=100, help_text="The agency system's name.")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="api_tokens")
    service_user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="api_token")
    scopes = models.JSONField(default=list, help_text="A list drawn from ApiToken.Scope.")
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256, hex.")
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agency__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="api_token_name_per_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.agency.code}:{self.name} (tf_{self.prefix}_…)"

    @property
    def label(self) -> str:
        """How the audit trail names the caller: the token, never its secret."""
        return f"api token tf_{self.prefix} ({self.agency.code}: {self.name})"


class ApiCallWindow(models.Model):
    """How many calls a token has made in one clock minute, for its rate limit."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    minute = models.BigIntegerField(help_text="Minutes since 1970-01-01T00:00Z.")
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "minute"], name="api_call_window_per_minute"),
        ]

    def __str__(self) -> str:
        return f"token {self.token_id}, minute {self.minute}: {self.calls} calls"


class IdempotentRequest(models.Model):
    """A write made with an ``Idempotency-Key``, and the answer it got, to give again on a retry.

    Stored in the same transaction as the write itself: either both are kept
    or neither, so a retry after a failure runs the write afresh.
    """

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    response_body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_per_token"),
        ]

    def __str__(self) -> str:
        return f"token {self.token_id}, key {self.key!r}: {self.status_code}"
