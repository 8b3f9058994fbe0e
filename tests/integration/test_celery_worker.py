"""A real Celery worker on Redis runs the product's tasks against the test database."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from leads.models import IdempotencyRecord
from leads.tasks import purge_expired_idempotency_records

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    """A worker process on its own queue plus the product's queues, with the test database."""
    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex[:8]}"
    queues = ",".join([queue, settings.REALTIME_QUEUE, settings.BULK_QUEUE])
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queues,
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print("--- worker output ---\n" + output)  # shown by pytest when the test fails


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_worker_purges_expired_idempotency_keys_and_keeps_fresh_ones(form_key, worker):
    row, _ = form_key
    old = IdempotencyRecord.objects.create(form_key=row, key="old", body_hash="x", status_code=201, response={})
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=30))
    IdempotencyRecord.objects.create(form_key=row, key="fresh", body_hash="y", status_code=201, response={})

    purge_expired_idempotency_records.apply_async(queue=worker)

    assert wait_for(lambda: not IdempotencyRecord.objects.filter(key="old").exists())
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_publishing_rules_rescores_every_lead_on_the_worker(worker):
    from jobs.models import Job
    from leads.models import Lead
    from leads.services import log_interaction
    from scoring import services
    from tests.factories import LeadFactory

    leads = LeadFactory.create_batch(30)
    for lead in leads:
        log_interaction(lead_id=lead.pk, kind="email_open")
    draft = services.current_draft()
    definition = draft.definition
    next(rule for rule in definition["rules"] if rule["key"] == "email_open").update(points=9, cap=9)
    services.save_draft(definition=definition)

    job = services.publish_draft()  # commits, then sends the job to the bulk queue

    assert wait_for(lambda: Job.objects.get(pk=job.pk).status == "done", seconds=60)
    assert set(Lead.objects.values_list("rules_version", "score")) == {(2, 9)}
    assert Job.objects.get(pk=job.pk).done == 30
