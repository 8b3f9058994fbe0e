"""Every e-mail goes out exactly once, whatever the broker and the mail server were doing when
it was written: the outbox row is the record, and the sweep sends what was left behind."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connections, transaction
from django.utils import timezone

from outbox import services, tasks
from outbox.models import Email
from sales import services as sales
from tests.factories import sales_ready_lead
from tests.outbox.mailservers import RecordingBackend

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
DOWN = "tests.outbox.mailservers.DownBackend"
REFUSING = "tests.outbox.mailservers.RefusingBackend"
GREYLISTING = "tests.outbox.mailservers.GreylistingBackend"
RECORDING = "tests.outbox.mailservers.RecordingBackend"


@pytest.fixture
def handed_over(users, settings):
    """A handover whose notification e-mail could not be queued: the broker was down at commit."""
    settings.EMAIL_BACKEND = LOCMEM
    users["sales"].email = "sales1@example.com"
    users["sales"].save()
    return sales_ready_lead()


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


def test_an_e_mail_another_sender_holds_is_left_to_it(handed_over, users):
    sales.handover_lead(lead_id=handed_over.pk, owner_id=users["sales"].pk, by=users["manager"])
    email = Email.objects.get()
    Email.objects.filter(pk=email.pk).update(claimed_at=timezone.now())  # another sender holds it
    assert services.send_email(email.pk) is False
    assert services.send_pending() == 0
    assert mail.outbox == []


@pytest.fixture
def recording_mail_server(settings):
    settings.EMAIL_BACKEND = RECORDING
    RecordingBackend.sent, RecordingBackend.met_alone = [], False
    RecordingBackend.meet = threading.Barrier(2, timeout=30)
    yield RecordingBackend
    RecordingBackend.meet = None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_e_mail_once(recording_mail_server, monkeypatch):
    """Two sweeps running at the same moment (two workers, each with its own connection) over
    the same pending e-mails: each e-mail reaches the mail server exactly once."""
    monkeypatch.setattr(services, "_ask_a_worker", lambda ids: None)  # the broker is down: the rows wait
    subjects = [f"Message {n}" for n in range(40)]
    services.queue_emails(
        [
            services.Message(key=f"race:{n}", to=f"person{n}@example.com", subject=s, text="Hi")
            for n, s in enumerate(subjects)
        ]
    )
    start = threading.Barrier(2, timeout=30)

    def sender() -> int:
        try:
            start.wait()
            return services.send_pending()
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = [future.result() for future in [pool.submit(sender), pool.submit(sender)]]

    assert not recording_mail_server.met_alone, "the two senders were never sending at the same time"
    assert Counter(recording_mail_server.sent) == Counter(subjects), "an e-mail went twice or not at all"
    assert sum(counts) == 40 and all(counts), counts
    assert not Email.objects.filter(sent_at__isnull=True).exists()


def test_an_address_the_mail_server_refuses_for_good_is_given_up_with_its_reason(handed_over, users, settings):
    sales.handover_lead(lead_id=handed_over.pk, owner_id=users["sales"].pk, by=users["manager"])
    settings.EMAIL_BACKEND = REFUSING
    assert services.send_pending() == 0
    email = Email.objects.get()
    assert email.sent_at is None
    assert "550" in email.last_error and "User unknown" in email.last_error

    settings.EMAIL_BACKEND = LOCMEM
    Email.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    assert services.send_pending() == 0, "a refused address is not tried again"
    assert mail.outbox == []


def test_an_address_refused_for_now_is_tried_again_later(handed_over, users, settings):
    """A 4xx reply to the address (greylisting, a full mailbox) is temporary: the e-mail keeps its
    backoff and goes once the server takes it."""
    sales.handover_lead(lead_id=handed_over.pk, owner_id=users["sales"].pk, by=users["manager"])
    settings.EMAIL_BACKEND = GREYLISTING
    assert services.send_pending() == 0
    email = Email.objects.get()
    assert email.sent_at is None and email.attempts == 1 and "450" in email.last_error
    assert email.next_attempt_at > timezone.now()

    settings.EMAIL_BACKEND = LOCMEM
    Email.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.send_pending() == 1 and services.send_pending() == 0
    [message] = mail.outbox
    assert message.to == ["sales1@example.com"]


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


def test_a_row_whose_subject_has_a_line_break_is_given_up_not_retried_forever(settings):
    """Rows queued before subjects were made one line carry a CR/LF that Django refuses to send
    (BadHeaderError): give them up with the reason instead of retrying them every minute."""
    settings.EMAIL_BACKEND = LOCMEM
    Email.objects.create(
        key="legacy:1", to_address="ann@example.com", subject="Hello Ann\r\nBcc: x@y.example", text="Hi"
    )
    assert services.send_pending() == 0
    email = Email.objects.get()
    assert email.sent_at is None and "cannot be sent" in email.last_error
    Email.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    assert services.send_pending() == 0 and mail.outbox == []
