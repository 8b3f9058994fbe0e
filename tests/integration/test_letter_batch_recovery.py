"""Exactly one letter per lead, whatever happens mid-batch: a batch of a few thousand letters,
its worker SIGKILLed part way and the broker (Redis) restarted, then a new worker. Every
eligible lead ends with exactly one letter, one e-mail each at most, one page each in the mail
house's PDF, and the batch ends done. Real PostgreSQL, Redis, worker and beat."""

import os
import signal
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone
from pypdf import PdfReader

from bench.scoring import generate_leads
from followups.defaults import LETTER
from followups.letters import services
from followups.models import Letter, LetterTemplate
from jobs.models import Job
from leads.models import Lead
from outbox.models import Email
from tests.integration.workers import start_beat, start_worker, stop, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LEADS = 3000


def test_a_killed_worker_and_a_restarted_broker_leave_exactly_one_letter_per_lead(broker, settings, tmp_path):
    settings.CRM_LETTERS_DIR = tmp_path
    template, _ = LetterTemplate.objects.get_or_create(name=LETTER["name"], defaults=LETTER)
    generate_leads(LEADS)
    Lead.objects.update(stage="unclosed", closed_at=timezone.now() - timedelta(days=45))
    env = {
        "CELERY_BROKER_URL": broker.url,
        "CRM_LETTER_CHUNK": "40",
        "CRM_JOB_STALL_SECONDS": "3",
        "CRM_LETTERS_DIR": str(tmp_path),
    }
    beat = start_beat(**env)
    worker = start_worker(**env)
    try:
        batch = services.start_batch(template_id=template.pk)
        job_id = batch.job_id
        assert wait_for(lambda: Job.objects.get(pk=job_id).done >= LEADS // 5, seconds=60), "the batch never started"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        stop(worker, "killed worker")
        written = Letter.objects.filter(batch=batch).count()
        assert 0 < written < LEADS, "the kill came too late to test anything"

        broker.stop()  # the broker goes down and comes back empty: every queued message is lost
        broker.start()
        worker = start_worker(**env)
        assert wait_for(lambda: Job.objects.get(pk=job_id).status == "done", seconds=120), "the batch did not resume"
    finally:
        stop(worker)
        stop(beat, "beat")

    letters = Letter.objects.filter(batch=batch)
    assert letters.count() == LEADS
    assert letters.values("lead").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert letters.values("code").distinct().count() == LEADS
    emails = Email.objects.filter(key__startswith="letter:")
    assert emails.count() == LEADS  # the generated contacts consent: one e-mail each, none twice
    batch.refresh_from_db()
    assert len(PdfReader(tmp_path / batch.pdf).pages) == LEADS
