"""A real Celery worker on Redis runs the product's tasks against the test database."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import IdempotencyRecord
from leads.tasks import purge_expired_idempotency_records
from tests.integration.workers import start_worker, stop, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    """A worker process on its own queue plus the product's queues, with the test database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    process = start_worker(queue)
    try:
        yield queue
    finally:
        stop(process)


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
