"""Rules are data: drafts, validation, preview, publishing with a resumable background rescore, decay."""

import copy
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.errors import Conflict
from jobs import services as job_services
from jobs.models import Job, JobSlice
from leads import rescore, scores
from leads.models import Lead
from leads.services import log_interaction
from scoring import services
from scoring.engine import score
from scoring.models import RuleSet, ScoreChange
from scoring.selectors import preview_draft
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Publishing sends the job to Celery on commit; here the tests run the job themselves."""
    sent = []
    monkeypatch.setattr(job_services, "enqueue_job", sent.append)
    return sent


def run(job_id, slice_id=None):
    """Work a job here and now, as its Celery task would."""
    return job_services.run_job(job_id, slice_id)[0]


def draft_with(**changes):
    definition = copy.deepcopy(services.current_draft().definition)
    for path, value in changes.items():
        kind, key, field = path.split("__")
        for item in definition[kind]:
            if item["key"] == key:
                item[field] = value
    return definition


def change_the_draft():
    """A draft that differs from the published rules (an unchanged one is refused)."""
    return services.save_draft(definition=draft_with(rules__email_open__points=9, rules__email_open__cap=9))


def scored_leads(count, kind="email_open"):
    leads = LeadFactory.create_batch(count)
    for lead in leads:
        log_interaction(lead_id=lead.pk, kind=kind)
    return leads


def test_a_draft_starts_as_a_copy_of_the_published_rules():
    draft = services.current_draft()
    published = RuleSet.objects.get(status="published")
    assert draft.status == "draft" and draft.version == published.version + 1
    assert draft.definition == published.definition
    assert services.current_draft() == draft  # only one draft at a time


def test_saving_a_bad_draft_reports_every_problem_and_saves_nothing():
    before = services.current_draft().definition
    broken = draft_with(rules__email_open__points=500, rules__web_visit__kind="teleport")
    with pytest.raises(ValidationError) as error:
        services.save_draft(definition=broken)
    assert {"rules[4].points", "rules[8].kind"} <= set(error.value.message_dict)
    assert services.current_draft().definition == before


def test_an_empty_rule_set_is_refused():
    with pytest.raises(ValidationError):
        services.save_draft(definition={"rules": [], "thresholds": {"hot": 70, "warm": 40, "sales_ready": 60}})


def test_preview_counts_temperature_moves_and_the_histogram():
    scored_leads(3, kind="call_inbound")  # 50 each: warm
    services.save_draft(definition=draft_with(rules__inbound_call__points=75, rules__inbound_call__cap=75))
    result = preview_draft()
    assert result["leads"] == 3 and result["changed"] == 3 and not result["sampled"]
    assert result["temperatures"]["before"] == {"hot": 0, "warm": 3, "cold": 0}
    assert result["temperatures"]["after"] == {"hot": 3, "warm": 0, "cold": 0}
    assert result["moves"] == [{"from": "warm", "to": "hot", "leads": 3}]
    assert result["histogram"]["before"][5] == 3 and result["histogram"]["after"][7] == 3
    assert result["sales_ready"] == {"before": 0, "after": 3}
    assert Lead.objects.filter(score=50).count() == 3  # a preview changes nothing


def test_preview_samples_a_very_large_book_evenly():
    LeadFactory.create_batch(30)
    services.current_draft()
    result = preview_draft(limit=10)
    assert result["sampled"] and result["total_leads"] == 30 and 0 < result["leads"] <= 10


def test_publish_retires_the_old_version_and_queues_a_rescore_job(no_broker, django_capture_on_commit_callbacks):
    scored_leads(2)
    services.save_draft(
        definition=draft_with(rules__email_open__points=9, rules__email_open__cap=9), note="opens matter"
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = services.publish_draft()
    assert list(RuleSet.objects.values_list("version", "status")) == [(2, "published"), (1, "retired")]
    assert (job.status, job.total, job.params) == ("queued", 2, {"version": 2})
    assert no_broker == [job.pk]
    assert services.published_rule_book().version == 2


def test_publishing_without_a_draft_is_refused():
    with pytest.raises(ValidationError):
        services.publish_draft()


def test_the_rescore_job_moves_every_lead_to_the_new_version_with_history():
    leads = scored_leads(5)
    services.save_draft(definition=draft_with(rules__email_open__points=9, rules__email_open__cap=9))
    job = run(services.publish_draft().pk)
    assert (job.status, job.done, job.total) == ("done", 5, 5)
    for lead in Lead.objects.filter(pk__in=[lead.pk for lead in leads]):
        assert (lead.score, lead.rules_version) == (9, 2)
    change = ScoreChange.objects.filter(rules_version=2).first()
    assert (change.old_score, change.new_score, change.reason) == (2, 9, "Rules version 2 published")


def test_a_crash_mid_rescore_leaves_each_lead_on_one_version_and_the_job_resumes(monkeypatch, settings):
    leads = scored_leads(7)
    services.save_draft(definition=draft_with(rules__email_open__points=9, rules__email_open__cap=9))
    settings.CRM_RESCORE_SLICES = 1
    job = services.publish_draft()
    settings.CRM_RESCORE_CHUNK = 3
    real = rescore.rescore_many
    calls = []

    def dies_on_second_chunk(ids, **kwargs):
        calls.append(ids)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(ids, **kwargs)

    monkeypatch.setattr(rescore, "rescore_many", dies_on_second_chunk)
    with pytest.raises(RuntimeError):
        run(job.pk)
    by_version = {lead.pk: (lead.rules_version, lead.score) for lead in Lead.objects.all()}
    assert sorted(by_version.values()) == [(1, 2)] * 4 + [(2, 9)] * 3  # first chunk done, second rolled back
    job.refresh_from_db()
    assert (job.status, job.done) == ("running", 3)
    assert job.slices.get().cursor == leads[2].pk

    monkeypatch.setattr(rescore, "rescore_many", real)
    job = run(job.pk)
    assert job.status == "done"
    assert set(Lead.objects.values_list("rules_version", "score")) == {(2, 9)}


def test_running_a_finished_job_again_changes_nothing():
    scored_leads(2)
    change_the_draft()
    job = run(services.publish_draft().pk)
    changes = ScoreChange.objects.count()
    assert run(job.pk).status == "done"
    assert ScoreChange.objects.count() == changes


def test_a_lead_scored_under_old_rules_during_the_publish_is_caught():
    leads = scored_leads(3)
    services.save_draft(definition=draft_with(rules__email_open__points=9, rules__email_open__cap=9))
    job = services.publish_draft()
    run(job.pk)  # all three done, cursors at the end
    Lead.objects.filter(pk=leads[0].pk).update(rules_version=1, score=2)  # a racing write under v1
    Job.objects.filter(pk=job.pk).update(status="running")
    run(job.pk)
    assert Lead.objects.get(pk=leads[0].pk).rules_version == 2


def test_decay_rescores_only_leads_that_crossed_a_weekly_step(users):
    from sales.services import close_lead

    now = timezone.now()
    crossed, steady, fresh, closed = LeadFactory.create_batch(4)
    for lead in (crossed, steady, fresh, closed):
        log_interaction(lead_id=lead.pk, kind="call_inbound", occurred_at=now - timedelta(days=22))
    close_lead(lead_id=closed.pk, outcome="won", amount="900", by=users["manager"])
    Lead.objects.filter(pk=fresh.pk).update(last_activity_at=now - timedelta(days=2))
    # `steady` was already scored after its last step (day 21), `crossed` before it.
    Lead.objects.filter(pk=steady.pk).update(score_computed_at=now - timedelta(hours=12))
    Lead.objects.filter(pk=crossed.pk).update(score_computed_at=now - timedelta(days=2), score=50, temperature="warm")
    assert rescore.apply_decay(now=now) == 1
    crossed.refresh_from_db()
    assert crossed.score == 45
    assert crossed.score_changes.first().reason == "Gone quiet: recency decay"


def test_rescored_numbers_match_the_pure_engine():
    lead = scored_leads(1, kind="call_inbound")[0]
    scores.rescore_many([lead.pk], book=services.published_rule_book(), reason="check")
    lead.refresh_from_db()
    assert lead.score == score(scores.lead_facts(lead), services.published_rule_book()).total == 50


def test_a_job_is_split_in_slices_that_run_apart_and_the_last_one_closes_it(
    settings, no_broker, django_capture_on_commit_callbacks
):
    settings.CRM_RESCORE_SLICES = 2
    leads = scored_leads(6)
    services.save_draft(definition=draft_with(rules__email_open__points=9, rules__email_open__cap=9))
    with django_capture_on_commit_callbacks(execute=True):
        job = services.publish_draft()
    first, second = job.slices.all()
    assert (first.first_id, second.last_id) == (leads[0].pk, leads[-1].pk)
    assert first.last_id + 1 == second.first_id
    assert run(job.pk, second.pk).status == "running"  # the other slice is left
    assert run(job.pk, first.pk).status == "done"
    assert set(Lead.objects.values_list("rules_version", flat=True)) == {2}
    assert Job.objects.get(pk=job.pk).done == 6


def test_two_tasks_on_one_slice_do_not_count_a_lead_twice(settings):
    settings.CRM_RESCORE_SLICES = 1
    scored_leads(4)
    change_the_draft()
    job = services.publish_draft()
    run(job.pk)
    job_slice = job.slices.get()
    changes = ScoreChange.objects.count()
    JobSlice.objects.filter(pk=job_slice.pk).update(finished_at=None, cursor=job_slice.first_id - 1, heartbeat_at=None)
    Job.objects.filter(pk=job.pk).update(status="running")
    run(job.pk)  # a re-sent task walks the same slice again
    assert Job.objects.get(pk=job.pk).done == 4
    assert ScoreChange.objects.count() == changes


def test_publishing_while_the_broker_is_down_still_publishes(monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(job_id):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(job_services, "enqueue_job", broker_down)
    change_the_draft()
    with django_capture_on_commit_callbacks(execute=True):
        job = services.publish_draft()
    assert RuleSet.objects.get(status="published").version == 2
    job.refresh_from_db()
    assert job.status == "queued"  # the stalled-job sweep sends it later
    assert "Could not queue" in job.error


def test_publishing_the_published_rules_again_is_refused_and_starts_no_job():
    services.current_draft()
    with pytest.raises(Conflict, match="same rules as the published version 1"):
        services.publish_draft()
    assert RuleSet.objects.get(status="published").version == 1 and not Job.objects.exists()


def test_publishing_a_version_that_is_no_longer_the_draft_is_refused():
    change_the_draft()
    services.publish_draft(version=2)
    with pytest.raises(Conflict, match="Version 2 is already published"):
        services.publish_draft(version=2)
    services.save_draft(definition=draft_with(rules__email_open__points=3, rules__email_open__cap=9))
    with pytest.raises(Conflict, match="Version 2 is already published"):
        services.publish_draft(version=2)  # a stale tab, while draft 3 has real edits
    assert RuleSet.objects.get(status="published").version == 2 and Job.objects.count() == 1


def test_publish_records_who_published(users):
    change_the_draft()
    services.publish_draft(by=users["marketing"])
    assert RuleSet.objects.get(status="published").published_by == users["marketing"]


def test_restore_publishes_an_old_version_again_through_the_publish_path(users):
    scored_leads(2)
    change_the_draft()
    run(services.publish_draft().pk)
    assert set(Lead.objects.values_list("score", flat=True)) == {9}
    job = services.restore_version(version=1, by=users["manager"])
    restored = RuleSet.objects.get(status="published")
    assert (restored.version, restored.restored_from, restored.published_by) == (3, 1, users["manager"])
    assert restored.definition == RuleSet.objects.get(version=1).definition
    assert run(job.pk).status == "done"
    assert set(Lead.objects.values_list("score", "rules_version")) == {(2, 3)}


def test_restoring_the_published_version_or_its_twin_is_refused():
    change_the_draft()
    services.publish_draft()
    with pytest.raises(Conflict, match="Version 2 is the published version: there is nothing to restore"):
        services.restore_version(version=2)
    services.restore_version(version=1)  # v3 has v1's rules
    with pytest.raises(Conflict, match="Version 1 has the same rules as the published version 3"):
        services.restore_version(version=1)


def test_restoring_an_unknown_version_is_refused():
    with pytest.raises(RuleSet.DoesNotExist):
        services.restore_version(version=42)
