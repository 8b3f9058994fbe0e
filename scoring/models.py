"""Rule sets (versioned data) and the history of every score change."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class RuleSetStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class RuleSet(models.Model):
    """One version of the scoring rules. Exactly one is published at a time."""

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=10, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT)
    definition = models.JSONField(help_text="rules, questions, profile, decay and thresholds")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    restored_from = models.PositiveIntegerField(
        null=True, blank=True, help_text="The older version whose rules this one published again."
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="published"), name="one_published_rule_set"),
            models.UniqueConstraint(fields=["status"], condition=Q(status="draft"), name="one_draft_rule_set"),
        ]

    def __str__(self):
        return f"Rules v{self.version} ({self.status})"


class ScoreChange(models.Model):
    """A lead's score moved: from what, to what, why, under which rules version."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="score_changes")
    old_score = models.PositiveSmallIntegerField()
    new_score = models.PositiveSmallIntegerField()
    old_temperature = models.CharField(max_length=4)
    new_temperature = models.CharField(max_length=4)
    reason = models.CharField(max_length=200)
    rules_version = models.PositiveIntegerField()
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["lead", "-changed_at"], name="scorechange_lead_idx")]

    def __str__(self):
        return f"{self.lead_id}: {self.old_score} → {self.new_score}"
