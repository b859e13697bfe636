"""A record of each agency extract imported."""

from django.conf import settings
from django.db import models


class ImportRun(models.Model):
    """One import of an agency extract: where it came from, how it ended, what it changed.

    A run that found bad rows and wrote nothing is kept too, so the partnership
    can see that an agency's extract was refused and why. A run is stored when
    it ends, or, when it writes, in the same transaction as what it writes: an
    import killed part-way leaves no run behind, just as it leaves no records,
    so "running" is only ever seen inside the import's own transaction.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        REFUSED = "refused", "Refused: bad rows, nothing written"
        PARTIAL = "partial", "Good rows written, bad rows rejected"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=500)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Import of {self.source} at {self.started_at:%Y-%m-%d %H:%M}"
