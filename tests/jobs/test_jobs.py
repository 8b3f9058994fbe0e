"""The one mechanism for long work: slices with leases and heartbeats, a sweep that resumes
what a dead worker left, failures recorded on the job. Shown with the rescore kind."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import services, tasks
from jobs.models import Job, JobSlice
from leads import rescore as scoring_jobs
from leads.models import Lead
from leads.services import log_interaction
from scoring import services as scoring
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Tasks the code under test sends, instead of a broker."""
    calls = []

    class FakeTask:
        @staticmethod
        def delay(*args):
            calls.append(args)

    monkeypatch.setattr(tasks, "bulk_run_job", FakeTask)
    monkeypatch.setattr(services, "enqueue_job", lambda job_id: calls.append(("enqueue", job_id)))
    return calls


def publish_rescore(count=6, slices=1, settings=None):
    leads = LeadFactory.create_batch(count)
    for lead in leads:
        log_interaction(lead_id=lead.pk, kind="email_open")
    if settings is not None:
        settings.CRM_RESCORE_SLICES = slices
    draft = scoring.current_draft()
    definition = draft.definition
    next(rule for rule in definition["rules"] if rule["key"] == "email_open").update(points=9, cap=9)
    scoring.save_draft(definition=definition)
    return scoring.publish_draft()


def quiet_for(seconds):
    """Make every heartbeat and send look `seconds` old."""
    past = timezone.now() - timedelta(seconds=seconds)
    JobSlice.objects.update(heartbeat_at=past, sent_at=past)
    Job.objects.update(heartbeat_at=past, created_at=past)


def test_a_slice_whose_worker_went_quiet_is_sent_again_and_a_busy_one_is_not(sent, settings):
    job = publish_rescore(settings=settings)
    quiet_for(settings.CRM_JOB_STALL_SECONDS + 1)
    assert services.resume_stalled_jobs() == [job.pk]
    job_slice = job.slices.get()
    assert sent == [(job.pk, job_slice.pk)]
    sent.clear()
    assert services.resume_stalled_jobs() == []  # just sent: give it time before sending again
    assert sent == []


def test_a_slice_being_worked_is_not_sent_again(sent, settings):
    publish_rescore(settings=settings)
    quiet_for(settings.CRM_JOB_STALL_SECONDS + 1)
    JobSlice.objects.update(heartbeat_at=timezone.now())  # a worker is on it
    assert services.resume_stalled_jobs() == []


def test_a_duplicate_message_finds_the_slice_leased_and_does_nothing(sent, settings):
    settings.CRM_RESCORE_CHUNK = 2
    job = publish_rescore(count=6, settings=settings)
    job, lease = services.run_job(job.pk, job.slices.get().pk, max_chunks=1)
    assert lease and job.done == 2
    duplicate, duplicate_lease = services.run_job(job.pk, job.slices.get().pk, max_chunks=1)
    assert (duplicate.done, duplicate_lease) == (2, "")  # someone else's live lease: hands off
    following, _ = services.run_job(job.pk, job.slices.get().pk, lease=lease, max_chunks=1)
    assert following.done == 4  # the chain carrying the lease goes on


def test_a_task_whose_slice_was_taken_over_stops_without_counting_twice(sent, settings):
    settings.CRM_RESCORE_CHUNK = 2
    job = publish_rescore(count=6, settings=settings)
    _job, lease = services.run_job(job.pk, job.slices.get().pk, max_chunks=1)
    quiet_for(settings.CRM_JOB_STALL_SECONDS + 1)
    services.run_job(job.pk, job.slices.get().pk)  # the sweep's task takes over and finishes
    stale, next_lease = services.run_job(job.pk, job.slices.get().pk, lease=lease, max_chunks=1)
    assert next_lease == ""
    assert stale.status == "done" and stale.done == 6
    assert set(Lead.objects.values_list("rules_version", flat=True)) == {2}


def test_a_chunk_whose_lease_was_taken_meanwhile_is_rolled_back(settings):
    settings.CRM_RESCORE_CHUNK = 2
    job = publish_rescore(count=4, settings=settings)
    job_slice = job.slices.get()
    token = services._claim(job_slice, "")
    JobSlice.objects.filter(pk=job_slice.pk).update(lease="someone-else")  # a sweep's task took it
    with pytest.raises(services.LeaseLost):
        services._work_slice(scoring_jobs.RescoreJob(), job, job_slice, scoring_jobs.RescoreJob().begin(job), token, 1)
    assert Job.objects.get(pk=job.pk).done == 0
    assert set(Lead.objects.values_list("rules_version", flat=True)) == {1}


def test_a_slice_whose_workers_keep_dying_fails_the_job_instead_of_looping(settings):
    job = publish_rescore(settings=settings)
    job_slice = job.slices.get()
    for _ in range(services.MAX_TAKEOVERS + 1):
        JobSlice.objects.filter(pk=job_slice.pk).update(lease="a-dead-task", heartbeat_at=None)
        services._claim(job_slice, "")
    job.refresh_from_db()
    assert job.status == "failed" and "stopped 6 times" in job.error


def test_a_job_with_no_slices_left_unsent_is_closed_by_the_sweep(sent, settings):
    job = services.start_job(kind="rescore", params={"version": 1}, total=0, id_range=None)
    quiet_for(settings.CRM_JOB_STALL_SECONDS + 1)
    assert services.resume_stalled_jobs() == [job.pk]
    assert sent[-1] == (job.pk, None)


def test_an_error_frees_the_slice_for_the_retry_at_once(settings, monkeypatch):
    monkeypatch.setattr(services, "enqueue_job", lambda job_id: None)
    job = publish_rescore(settings=settings)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(scoring_jobs, "rescore_many", broken)
    with pytest.raises(RuntimeError):
        tasks.bulk_run_job.run(job.pk, job.slices.get().pk)
    job.refresh_from_db()
    assert (job.failures, job.error) == (1, "RuntimeError: database went away")
    assert job.slices.get().heartbeat_at is None


def test_a_job_that_keeps_failing_is_marked_failed_with_its_error():
    job = Job.objects.create(kind="rescore", params={"version": 1}, status="running")
    for _ in range(services.MAX_JOB_FAILURES - 1):
        services.record_job_failure(job.pk, RuntimeError("database went away"))
    assert Job.objects.get(pk=job.pk).status == "running"
    services.record_job_failure(job.pk, RuntimeError("database went away"))
    job.refresh_from_db()
    assert (job.status, job.failures, job.error) == ("failed", 5, "RuntimeError: database went away")


def test_a_next_part_the_broker_refused_is_recorded_and_the_sweep_sends_it(settings, monkeypatch):
    settings.CRM_RESCORE_CHUNK = 1
    monkeypatch.setattr(tasks, "CHUNKS_PER_TASK", 1)
    monkeypatch.setattr(services, "enqueue_job", lambda job_id: None)
    job = publish_rescore(count=3, settings=settings)

    def broker_down(*args):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.bulk_run_job, "delay", broker_down)
    tasks.bulk_run_job.run(job.pk, job.slices.get().pk)
    job.refresh_from_db()
    assert job.status == "running" and job.done == 1
    assert "Could not queue the next part" in job.error
    assert job.slices.get().heartbeat_at is None  # freed: the sweep's task is no takeover from the dead

    resent = []
    monkeypatch.setattr(tasks.bulk_run_job, "delay", lambda *args: resent.append(args))
    quiet_for(settings.CRM_JOB_STALL_SECONDS + 1)
    assert services.resume_stalled_jobs() == [job.pk]
    assert resent == [(job.pk, job.slices.get().pk)]


def test_a_job_with_nothing_to_walk_is_closed_by_its_one_task(sent):
    job = services.start_job(kind="rescore", params={"version": 1}, total=0, id_range=None)
    job, _ = services.run_job(job.pk, None)
    assert job.status == "done"


def test_a_starting_worker_asks_for_a_sweep(monkeypatch):
    from jobs import signals

    asked = []
    monkeypatch.setattr(tasks.resume_stalled_jobs, "delay", lambda: asked.append(True))
    signals.sweep_when_a_worker_starts(sender=None)
    assert asked == [True]
