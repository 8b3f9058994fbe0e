"""Migration leads/0014: published rules with no rule for referrals (every install before the
rule shipped) get it as a new version, published as Publish does it, with the rescore job the
sweep sends, so a referral lead scored 0 moves to the rule's points; a draft keeps its edits,
gains the rule and follows the new version; rules that already score referrals are left alone.

The migration's function runs on today's schema: a test that migrated the database back to
0013 would have to create its leads with 0013's columns, and broke as soon as a later
migration added one."""

import importlib

import pytest
from django.apps import apps

from jobs import services as jobs
from jobs.models import Job
from leads.intake import Arrival, Person, receive
from leads.models import Lead
from scoring import services as scoring
from scoring.defaults import DEFAULT_DEFINITION, REFERRAL_RULE
from scoring.models import RuleSet

MIGRATION = importlib.import_module("leads.migrations.0014_referral_rule")
# The rules as shipped before the referral rule.
OLD_SHIPPED = {**DEFAULT_DEFINITION, "rules": [r for r in DEFAULT_DEFINITION["rules"] if r["kind"] != "referral"]}


def migrate() -> None:
    """Run migration 0014's forward step, as `migrate` does (a data step: no schema editor)."""
    MIGRATION.publish_referral_rule(apps, None)


def referral(first_name: str) -> Lead:
    arrival = Arrival(
        person=Person(first_name=first_name, last_name="Gomez", phone=f"555 010 {len(first_name):04d}"),
        kind="referral",
        source="referral",
        stage_reason="Referred by a customer",
    )
    return receive(arrival).lead


@pytest.mark.django_db
def test_rules_without_a_referral_rule_get_it_as_a_new_version_and_every_lead_is_rescored(monkeypatch):
    RuleSet.objects.filter(status="published").update(definition=OLD_SHIPPED)
    scoring._parsed_books.clear()  # version 1 was rewritten in place, as an older install has it
    rita = referral("Rita")
    assert (rita.score, rita.rules_version) == (0, 1)
    draft = scoring.save_draft(definition={**OLD_SHIPPED, "thresholds": {"hot": 75, "warm": 40, "sales_ready": 60}})
    assert draft.version == 2

    migrate()

    published = RuleSet.objects.get(status="published")
    assert published.version == 2 and REFERRAL_RULE in published.definition["rules"]
    assert {k: v for k, v in published.definition.items() if k != "rules"} == {
        k: v for k, v in OLD_SHIPPED.items() if k != "rules"
    }
    assert RuleSet.objects.get(version=1).status == "retired"
    draft = RuleSet.objects.get(status="draft")
    assert draft.version == 3 and REFERRAL_RULE in draft.definition["rules"]  # after the new version
    assert draft.definition["thresholds"]["hot"] == 75  # its edits kept
    job = Job.objects.get()
    assert (job.kind, job.params, job.status, job.total) == ("rescore", {"version": 2}, "queued", 1)

    sent = []
    monkeypatch.setattr("jobs.tasks.bulk_run_job.delay", lambda job_id, slice_id: sent.append(job_id))
    assert jobs.resume_stalled_jobs() == [job.pk] and sent  # the sweep sends it, as a worker starting does
    jobs.run_job(job.pk)
    rita.refresh_from_db()
    assert (rita.score, rita.rules_version) == (40, 2)
    assert Job.objects.get().status == "done"


@pytest.mark.django_db
def test_rules_that_already_score_referrals_are_left_alone():
    tuned = {**OLD_SHIPPED, "rules": [*OLD_SHIPPED["rules"], {**REFERRAL_RULE, "key": "ours", "points": 25}]}
    RuleSet.objects.filter(status="published").update(definition=tuned)
    referral("Rita")

    migrate()

    assert list(RuleSet.objects.values_list("version", "status")) == [(1, "published")]
    assert RuleSet.objects.get().definition == tuned and not Job.objects.exists()
