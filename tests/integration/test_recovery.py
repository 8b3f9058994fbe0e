"""A worker SIGKILLed in the middle of a rescore: once a worker is back, the job resumes by
itself (beat's sweep and the starting worker's sweep) and ends with every lead rescored exactly
once. Real PostgreSQL, Redis, worker and beat; `make bench` measures the resume time."""

import os
import signal

import pytest
from django.db.models import Count

from bench.scoring import generate_leads
from jobs.models import Job
from leads.models import Lead
from scoring import services
from scoring.models import ScoreChange
from tests.integration.workers import start_beat, start_worker, stop, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LEADS = 6000
FAST = {"CRM_RESCORE_CHUNK": "50", "CRM_JOB_STALL_SECONDS": "3"}  # small chunks: a kill lands mid-job


def test_a_killed_worker_leaves_a_rescore_that_resumes_and_counts_every_lead_once(settings):
    settings.CRM_RESCORE_SLICES = 2
    generate_leads(LEADS)
    draft = services.current_draft()
    definition = draft.definition
    next(rule for rule in definition["rules"] if rule["key"] == "email_open").update(points=7, cap=21)
    services.save_draft(definition=definition)

    beat = start_beat(**FAST)
    worker = start_worker(**FAST)
    outputs = []
    try:
        job = services.publish_draft()
        assert wait_for(lambda: Job.objects.get(pk=job.pk).done >= LEADS // 10, seconds=60), "the job never started"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        outputs.append(stop(worker, "killed worker"))
        killed_at = Job.objects.get(pk=job.pk)
        assert killed_at.status == "running" and killed_at.done < LEADS, "the kill came too late to test anything"

        worker = start_worker(**FAST)
        assert wait_for(lambda: Job.objects.get(pk=job.pk).status == "done", seconds=90), "the job did not resume"
    finally:
        outputs.append(stop(worker))
        stop(beat, "beat")

    job.refresh_from_db()
    assert job.status == "done" and job.total == LEADS
    assert set(Lead.objects.values_list("rules_version", flat=True)) == {2}
    per_lead = ScoreChange.objects.filter(rules_version=2).values("lead").annotate(n=Count("id"))
    assert per_lead.count() == LEADS
    assert {row["n"] for row in per_lead} == {1}, "a lead was rescored twice"
