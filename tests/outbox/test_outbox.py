"""Every e-mail goes out exactly once, whatever the broker and the mail server were doing when
it was written: the outbox row is the record, and the sweep sends what was left behind."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from leads import sales
from leads.kinds import Stage
from outbox import services, tasks
from outbox.models import Email
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
DOWN = "tests.outbox.mailservers.DownBackend"


@pytest.fixture
def handed_over(users, settings):
    """A handover whose notification e-mail could not be queued: the broker was down at commit."""
    settings.EMAIL_BACKEND = LOCMEM
    users["sales"].email = "sales1@example.com"
    users["sales"].save()
    lead = LeadFactory(stage=Stage.SALES_READY, score=70, inquiry_reason="x", desired_outcome="y")
    return lead


def broker_down(*args, **kwargs):
    raise ConnectionError("broker unreachable")


def test_a_notification_queued_while_the_broker_was_down_is_sent_by_the_sweep_once(
    handed_over, users, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.send_emails, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            sales.handover_lead(lead_id=handed_over.pk, owner_id=users["sales"].pk, by=users["manager"])
    assert mail.outbox == []
    assert Email.objects.get().sent_at is None

    assert services.send_pending() == 1
    assert services.send_pending() == 0
    [message] = mail.outbox
    assert message.to == ["sales1@example.com"] and "handed you" in message.subject
    assert f"/leads/{handed_over.pk}/" in message.body


def test_a_mail_server_that_is_down_gets_the_e_mail_later_once(handed_over, users, settings):
    sales.handover_lead(lead_id=handed_over.pk, owner_id=users["sales"].pk, by=users["manager"])
    settings.EMAIL_BACKEND = DOWN
    assert services.send_pending() == 0
    email = Email.objects.get()
    assert email.sent_at is None and email.attempts == 1 and "down" in email.last_error
    assert email.next_attempt_at > timezone.now()
    settings.EMAIL_BACKEND = LOCMEM
    assert services.send_pending() == 0, "not before its next attempt is due"
    Email.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.send_pending() == 1 and services.send_pending() == 0
    assert len(mail.outbox) == 1


def test_two_senders_at_once_send_it_once(handed_over, users):
    sales.handover_lead(lead_id=handed_over.pk, owner_id=users["sales"].pk, by=users["manager"])
    email = Email.objects.get()
    Email.objects.filter(pk=email.pk).update(claimed_at=timezone.now())  # another sender holds it
    assert services.send_email(email.pk) is False
    assert services.send_pending() == 0
    assert mail.outbox == []


def test_a_claim_a_killed_sender_left_is_taken_back(handed_over, users):
    sales.handover_lead(lead_id=handed_over.pk, owner_id=users["sales"].pk, by=users["manager"])
    Email.objects.update(claimed_at=timezone.now() - services.CLAIM_TIMEOUT - timedelta(seconds=1))
    assert services.send_pending() == 1
    assert len(mail.outbox) == 1


def test_the_same_e_mail_written_twice_is_stored_and_sent_once(settings):
    settings.EMAIL_BACKEND = LOCMEM
    message = services.Message(key="test:1", to="a@example.com", subject="Hi", text="Hello")
    first = services.queue_emails([message])
    again = services.queue_emails([message])
    assert first == again and Email.objects.count() == 1
    tasks.send_emails.run(first)
    tasks.send_emails.run(first)  # a retried task
    assert len(mail.outbox) == 1


def test_the_weekly_briefing_twice_in_a_week_queues_nothing_new(users, settings):
    from campaigns.briefing import send_staff_briefing

    settings.EMAIL_BACKEND = LOCMEM
    for user in users.values():
        user.email = f"{user.username}@example.com"
        user.save()
    assert send_staff_briefing() == 5  # the user without a role gets nothing
    assert send_staff_briefing() == 5  # the same five, still waiting
    assert services.send_pending() == 5
    assert send_staff_briefing() == 0 and services.send_pending() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"{users[r].username}@example.com" for r in ("csr", "sales", "sales2", "marketing", "manager")
    )


def test_beat_sweeps_the_outbox_every_minute(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["send-pending-emails"]
    assert schedule["task"] == "outbox.tasks.send_pending_emails" and schedule["schedule"] <= 60
