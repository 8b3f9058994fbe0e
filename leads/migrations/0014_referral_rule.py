"""Published rules without a rule for referrals get one (scoring.defaults.REFERRAL_RULE), as a new
version published the way marketing's Publish does: the old version retired, the new one
published, and a rescore job that the worker's stalled-job sweep sends (it runs when a worker
starts and every few seconds under beat), so every lead moves onto the new version in the
background, a referral lead from 0 to the rule's points. Rules that already score the kind
`referral` (a fresh install's version 1 has the rule from scoring.defaults) are left alone. A
draft being edited keeps its edits and gains the rule too; the new version takes the draft's
number and the draft the next one, so no number is skipped.

Historical models only: the rule is copied here, so this migration does what it did even once
the shipped defaults change again."""

from django.conf import settings
from django.db import migrations
from django.db.models import Max, Min
from django.utils import timezone

RULE = {"key": "referral", "label": "Referred by a customer", "kind": "referral", "points": 40, "cap": 40}
NOTE = "The referral rule shipped with the product (referral leads scored 0 without it)"


def _with_rule(definition: dict) -> dict | None:
    """The definition with the referral rule added, or None when it already scores referrals."""
    rules = definition.get("rules") or []
    if any(isinstance(rule, dict) and rule.get("kind") == "referral" for rule in rules):
        return None
    keys = {rule.get("key") for rule in rules if isinstance(rule, dict)}
    rule = dict(RULE, key="customer_referral") if RULE["key"] in keys else dict(RULE)
    return {**definition, "rules": [*rules, rule]}


def publish_referral_rule(apps, schema_editor):
    RuleSet = apps.get_model("scoring", "RuleSet")
    published = RuleSet.objects.filter(status="published").first()
    definition = _with_rule(published.definition) if published is not None else None
    if definition is None:
        return
    top = RuleSet.objects.aggregate(top=Max("version"))["top"]
    version = top + 1
    draft = RuleSet.objects.filter(status="draft").first()
    if draft is not None:  # the new version takes its number; it follows, with the rule too
        version, draft.version = draft.version, top + 1
        draft.definition = _with_rule(draft.definition) or draft.definition
        draft.save(update_fields=["version", "definition"])
    published.status = "retired"
    published.save(update_fields=["status"])
    RuleSet.objects.create(
        version=version, status="published", definition=definition, note=NOTE, published_at=timezone.now()
    )
    _start_rescore(apps, version)


def _start_rescore(apps, version: int) -> None:
    """The job publishing starts (jobs.services.start_job with leads.rescore.RescoreJob's plan):
    the leads' id range in slices; the sweep sends its tasks."""
    Lead = apps.get_model("leads", "Lead")
    span = Lead.objects.aggregate(first=Min("pk"), last=Max("pk"))
    if span["first"] is None:
        return  # no lead to rescore
    Job = apps.get_model("jobs", "Job")
    JobSlice = apps.get_model("jobs", "JobSlice")
    total = Lead.objects.exclude(rules_version=version).count()
    job = Job.objects.create(kind="rescore", params={"version": version}, total=total)
    first, last = span["first"], span["last"]
    width = max(-(-(last - first + 1) // max(settings.CRM_RESCORE_SLICES, 1)), 1)
    JobSlice.objects.bulk_create(
        [
            JobSlice(job=job, first_id=low, last_id=min(low + width - 1, last), cursor=low - 1)
            for low in range(first, last + 1, width)
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0013_handover_kind_referral"),
        ("scoring", "0005_rule_set_published_by"),
        ("jobs", "0003_slice_takeovers"),
    ]

    operations = [migrations.RunPython(publish_referral_rule, migrations.RunPython.noop)]
