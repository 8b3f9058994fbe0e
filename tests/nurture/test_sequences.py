"""Sequences end to end through the services and the API: every reason to refuse one at once,
enrolling, each step exactly once, the e-mail as it reaches the outbox, branches, goals, and
unsubscribing."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from followups.models import FollowUp, Letter
from leads.services import log_interaction
from nurture import ends, services
from nurture.models import Enrolment, ExitReason, Sequence, StepRun
from outbox.models import Email
from tests.factories import FACTS, ContactFactory, LeadFactory, lead_after
from tests.nurture.conftest import EMAIL, prospect, sequence, sweep

pytestmark = pytest.mark.django_db


def test_a_bad_sequence_is_refused_with_every_reason_and_nothing_is_saved(api_as, users):
    bad = {
        "name": "Broken",
        "steps": [
            {"kind": "email", "subject": "Hi {{ nickname }}", "text": "Hello"},
            {"kind": "wait", "days": 0},
            {"kind": "wait", "days": -3},
            {"kind": "branch", "if": "mood", "then": 5},
            {"kind": "branch", "if": "score_at_least", "value": 50, "then": 1},
            {"kind": "teleport"},
        ],
    }
    response = api_as(users["marketing"]).post("/api/v1/sequences/", bad, format="json")
    assert response.status_code == 400
    reasons = " ".join(response.json()["steps"])
    assert "Unknown merge field: {{ nickname }}" in reasons
    assert "Step 2: a wait of 0 days" in reasons and "Step 3: a wait of -3 days" in reasons
    assert "Step 4: a branch cannot ask 'mood'" in reasons
    assert "Step 5: then goes back to step 1: that would loop" in reasons
    assert "Step 6: 'teleport' is not a step" in reasons
    empty = api_as(users["marketing"]).post("/api/v1/sequences/", {"name": "Empty", "steps": []}, format="json")
    assert empty.json()["steps"] == ["A sequence needs at least one step."]
    assert not Sequence.objects.filter(name__in=["Broken", "Empty"]).exists()


def test_asking_whether_an_email_was_opened_the_moment_it_goes_is_refused():
    with pytest.raises(ValidationError) as refused:
        sequence([EMAIL, {"kind": "branch", "if": "opened", "then": "next", "else": "end"}, EMAIL])
    assert "put a wait between them" in str(refused.value)


def test_enrolled_leads_get_the_first_email_once_with_an_unsubscribe_link_and_headers(api_as, users):
    made = api_as(users["marketing"]).post(
        "/api/v1/sequences/", {"name": "Spring", "steps": [EMAIL, {"kind": "wait", "days": 3}, EMAIL]}, format="json"
    )
    assert made.status_code == 201, made.json()
    seq = made.json()["id"]
    assert api_as(users["marketing"]).post(f"/api/v1/sequences/{seq}/activate/").status_code == 200
    a, b = prospect(first_name="Ann"), prospect()
    dead_end = prospect(do_not_contact=True)
    answer = api_as(users["marketing"]).post(
        f"/api/v1/sequences/{seq}/enrol/", {"leads": [a.pk, b.pk, dead_end.pk, 10**9]}, format="json"
    )
    assert answer.json() == {
        "enrolled": 2,
        "skipped": [{"lead": dead_end.pk, "reason": "do_not_contact"}, {"lead": 10**9, "reason": "not_found"}],
    }
    again = api_as(users["marketing"]).post(f"/api/v1/sequences/{seq}/enrol/", {"leads": [a.pk]}, format="json")
    assert again.json() == {"enrolled": 0, "skipped": [{"lead": a.pk, "reason": "already_enrolled"}]}

    assert sweep() == 2
    assert sweep() == 0  # nothing is due again until the wait ends
    email = Email.objects.get(to_address=a.contact.email)
    assert email.subject == "Still thinking it over, Ann?"
    assert "/t/" in email.text and "www.example.com/spring" not in email.text  # the link is tracked
    assert email.unsubscribe_url.startswith("https://crm.example.com/u/")
    assert f"Unsubscribe: {email.unsubscribe_url}" in email.text
    listed = api_as(users["marketing"]).get(f"/api/v1/emails/?lead={a.pk}").json()
    assert listed[0]["unsubscribe_url"] == email.unsubscribe_url

    enrolments = api_as(users["marketing"]).get(f"/api/v1/enrolments/?lead={a.pk}").json()["results"]
    assert [(e["status"], [s["step"] for s in e["steps"]]) for e in enrolments] == [("active", [1])]
    sweep(days=3, hours=1)
    assert Email.objects.filter(to_address=a.contact.email).count() == 2
    assert Enrolment.objects.get(lead=a).status == "done"
    assert StepRun.objects.filter(enrolment__lead=a).count() == 3


def test_the_one_click_unsubscribe_ends_every_sequence_and_every_marketing_email(client, letter_template):
    lead = prospect()
    first = sequence([EMAIL, {"kind": "wait", "days": 1}, EMAIL], name="One")
    second = sequence([{"kind": "wait", "days": 2}, EMAIL], name="Two")
    for seq in (first, second):
        services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk])
    sweep()
    url = Email.objects.get(to_address=lead.contact.email).unsubscribe_url
    path = url.removeprefix("https://crm.example.com")
    assert client.get(path).status_code == 200  # a scanner's GET changes nothing
    lead.contact.refresh_from_db()
    assert lead.contact.consent
    response = client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    lead.contact.refresh_from_db()
    assert not lead.contact.consent
    assert set(Enrolment.objects.filter(lead=lead).values_list("status", "exit_reason")) == {
        ("exited", ExitReason.UNSUBSCRIBED)
    }
    assert client.post(path).status_code == 200  # twice: nothing more
    assert lead.interactions.filter(kind="note", note__startswith="Unsubscribed").count() == 1
    sweep(days=5)
    assert Email.objects.filter(to_address=lead.contact.email).count() == 1
    assert client.post("/u/forged0000000000000").status_code == 404


def test_a_wait_counts_from_when_the_previous_step_was_done_and_the_first_wait_is_not_skipped():
    seq = sequence([{"kind": "wait", "days": 2}, EMAIL, {"kind": "wait", "days": 2}, EMAIL])
    lead = prospect()
    services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk])
    now = timezone.now()
    sweep(now)
    assert not Email.objects.filter(to_address=lead.contact.email).exists()
    sweep(now + timedelta(days=1, hours=23))
    assert not Email.objects.filter(to_address=lead.contact.email).exists()
    late = now + timedelta(days=3)  # the sweep came a day late: the next wait counts from now, not from the plan
    sweep(late)
    assert Email.objects.filter(to_address=lead.contact.email).count() == 1
    sweep(late + timedelta(days=1, hours=23))
    assert Email.objects.filter(to_address=lead.contact.email).count() == 1
    sweep(late + timedelta(days=2, minutes=1))
    assert Email.objects.filter(to_address=lead.contact.email).count() == 2


def test_the_opened_branch_takes_yes_after_an_open_and_no_without_one():
    seq = sequence(
        [
            EMAIL,
            {"kind": "wait", "days": 2},
            {"kind": "branch", "if": "opened", "then": "next", "else": 5},
            {"kind": "call", "note": "They read it: call", "to": "owner"},
            {"kind": "email", "subject": "Did you see this?", "text": "A second try."},
        ]
    )
    reader, quiet = prospect(), prospect()
    services.enrol(sequence_id=seq.pk, lead_ids=[reader.pk, quiet.pk])
    sweep()
    log_interaction(lead_id=reader.pk, kind="email_open")
    sweep(days=2, hours=1)
    assert FollowUp.objects.filter(lead=reader, kind="nurture", note__contains="They read it").exists()
    assert not FollowUp.objects.filter(lead=quiet).exists()
    assert Email.objects.filter(to_address=quiet.contact.email, subject="Did you see this?").exists()
    outcomes = dict(StepRun.objects.filter(kind="branch").values_list("enrolment__lead_id", "outcome"))
    assert outcomes == {reader.pk: "yes", quiet.pk: "no"}


def test_a_lead_that_becomes_sales_ready_leaves_and_gets_nothing_more():
    seq = sequence([EMAIL, {"kind": "wait", "days": 1}, EMAIL])
    lead = LeadFactory(contact=ContactFactory(consent=True), **FACTS)
    services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk])
    sweep()
    log_interaction(lead_id=lead.pk, kind="call_inbound")
    log_interaction(lead_id=lead.pk, kind="answers", answers=[{"question": "decision_maker", "answer": "yes"}])
    lead.refresh_from_db()
    assert lead.stage == "sales_ready"
    assert ends.end_finished() == {Enrolment.objects.get(lead=lead).pk}
    enrolment = Enrolment.objects.get(lead=lead)
    assert (enrolment.status, enrolment.exit_reason) == ("exited", ExitReason.SALES_READY)
    sweep(days=2)
    assert Email.objects.filter(to_address=lead.contact.email).count() == 1


def test_a_call_in_ends_the_enrolment_before_its_next_step_even_before_the_minute_sweep():
    seq = sequence([EMAIL, {"kind": "wait", "days": 1}, EMAIL])
    lead = prospect()
    services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk])
    sweep()
    log_interaction(lead_id=lead.pk, kind="call_inbound")
    sweep(days=2)  # the step sweep checks its batch first
    enrolment = Enrolment.objects.get(lead=lead)
    assert (enrolment.status, enrolment.exit_reason) == ("exited", ExitReason.RESPONDED)
    assert Email.objects.filter(to_address=lead.contact.email).count() == 1


def test_editing_a_running_sequence_never_sends_a_done_step_again(api_as, users):
    seq = sequence([EMAIL, {"kind": "wait", "days": 1}, {"kind": "email", "subject": "Second", "text": "Two"}])
    lead = prospect()
    services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk])
    sweep()
    shown = api_as(users["marketing"]).get(f"/api/v1/sequences/{seq.pk}/").json()["steps"]
    edited = [{"kind": "email", "subject": "New opener", "text": "Hello"}, *shown]  # a step put in front
    response = api_as(users["marketing"]).patch(f"/api/v1/sequences/{seq.pk}/", {"steps": edited}, format="json")
    assert response.status_code == 200, response.json()
    sweep(days=1, hours=1)
    subjects = set(Email.objects.filter(to_address=lead.contact.email).values_list("subject", flat=True))
    assert subjects == {f"Still thinking it over, {lead.contact.first_name}?", "Second"}
    assert StepRun.objects.filter(enrolment__lead=lead, kind="email").count() == 2
    assert Enrolment.objects.get(lead=lead).status == "done"


def test_a_trigger_enrols_unclosed_prospects_once(letter_template):
    from tests.followups.conftest import unclosed_lead

    seq = sequence([EMAIL], trigger="unclosed", trigger_days=3)
    fresh, due, old = unclosed_lead(1), unclosed_lead(5), unclosed_lead(400)
    assert list(services.trigger_candidates(seq).values_list("pk", flat=True)) == [due.pk]
    assert services.enrol_by_triggers() == 1
    assert services.enrol_by_triggers() == 0
    assert Enrolment.objects.get(sequence=seq).lead_id == due.pk
    assert not Enrolment.objects.filter(lead__in=[fresh, old]).exists()


def test_letter_and_call_steps_write_a_letter_in_the_days_batch_and_a_call_task(letter_template):
    seq = sequence(
        [{"kind": "letter", "template": letter_template.pk}, {"kind": "call", "note": "Ask about spring", "to": "csr"}]
    )
    lead = prospect()
    services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk])
    sweep()
    letter = Letter.objects.get(lead=lead)
    assert letter.batch.daily and letter.batch.template == letter_template
    call = FollowUp.objects.get(lead=lead)
    assert call.pool == "CSR" and call.assignee is None and "Ask about spring" in call.note


def test_the_daily_cap_holds_the_rest_for_the_next_day(settings):
    settings.CRM_NURTURE_DAILY_CAP = 2
    seq = sequence([EMAIL])
    leads = [prospect() for _ in range(3)]
    services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk for lead in leads])
    sweep()
    assert Email.objects.count() == 2
    held = Enrolment.objects.get(status="active")
    assert held.due_at > timezone.now()
    sweep(held.due_at)
    assert Email.objects.count() == 3


def test_the_shipped_customer_sequence_asks_for_referrals_with_the_customers_forward_form(client):
    from nurture.defaults import CUSTOMER_SEQUENCE

    shipped = Sequence.objects.get(name=CUSTOMER_SEQUENCE["name"])
    services.set_status(shipped.pk, "active")  # its steps pass today's checks
    customer = lead_after("call_inbound", contact__consent=True)
    services.enrol(sequence_id=shipped.pk, lead_ids=[customer.pk])
    sweep()
    sweep(days=15)
    sweep(days=46)
    referral_ask = Email.objects.get(to_address=customer.contact.email, subject="Who else could use the same help?")
    forward = next(word for word in referral_ask.text.split() if "/f/" in word)
    assert "pass this on: " + forward in referral_ask.text
    assert referral_ask.text.count("/f/") == 1  # the link where the writer put it, not again at the end


def test_the_report_counts_entries_exits_each_emails_opens_and_what_followed(api_as, users):
    from datetime import timedelta as delta

    from django.test import Client

    from tests.tracking.conftest import BROWSER
    from tracking.fold import fold_all
    from tracking.links import link_address
    from tracking.models import Purpose, TrackedLink

    seq = sequence([EMAIL, {"kind": "wait", "days": 2}, EMAIL])
    reader, quiet, unreachable = prospect(), prospect(), LeadFactory(contact=ContactFactory(consent=False))
    services.enrol(sequence_id=seq.pk, lead_ids=[reader.pk, quiet.pk, unreachable.pk])
    sweep()
    Email.objects.update(sent_at=timezone.now() - delta(minutes=5))  # delivered a while ago, as the outbox would
    image = TrackedLink.objects.get(lead=reader, purpose=Purpose.OPEN)
    Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="198.51.100.23").get(link_address(image).split("crm.example.com")[1])
    fold_all()
    log_interaction(lead_id=quiet.pk, kind="call_inbound")
    ends.end_finished()

    report = api_as(users["marketing"]).get(f"/api/v1/sequences/{seq.pk}/report/").json()
    assert (report["enrolled"], report["active"], report["done"]) == (3, 2, 0)
    assert report["exited"]["responded"] == 1
    first = report["steps"][0]
    assert (first["done"], first["sent"], first["opened"], first["clicked"]) == (3, 2, 1, 0)
    assert report["steps"][2]["done"] == 0


def test_a_customers_referral_link_brings_a_referral_lead_the_scoreboard_counts(client):
    from leads.kinds import Source
    from leads.models import Lead

    seq = sequence([{"kind": "email", "subject": "Who else?", "text": "Pass it on: {{ referral_link }}"}])
    customer = lead_after("call_inbound", contact__consent=True)
    services.enrol(sequence_id=seq.pk, lead_ids=[customer.pk])
    sweep()
    email = Email.objects.get(to_address=customer.contact.email)
    forward = next(word for word in email.text.split() if "/f/" in word).split("crm.example.com")[1]
    response = client.post(forward, {"first_name": "Nina", "email": "nina@example.org"})
    assert response.status_code == 200
    referral = Lead.objects.get(contact__email="nina@example.org")
    assert (referral.source, referral.referrer_id) == (Source.REFERRAL, customer.pk)


def test_a_sequence_email_goes_out_with_the_one_click_unsubscribe_headers(mailoutbox):
    from outbox.services import send_email

    seq = sequence([EMAIL])
    lead = prospect()
    services.enrol(sequence_id=seq.pk, lead_ids=[lead.pk])
    sweep()
    email = Email.objects.get(to_address=lead.contact.email)
    assert send_email(email.pk)
    sent = mailoutbox[0]
    assert sent.extra_headers == {
        "List-Unsubscribe": f"<{email.unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert "Unsubscribe: https://crm.example.com/u/" in sent.body


def test_a_batch_reads_as_many_times_for_twelve_leads_as_for_three_and_merges_each_ones_company(letter_template):
    """The sweep's statements do not grow with its batch, whatever its steps: each lead's
    company, owner and offer are read once for all of them, the lead's few columns the sweep
    uses come with the batch, and each e-mail still carries its own lead's company."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CompanyFactory

    steps = [
        {**EMAIL, "text": "For everyone at {{ company }}: https://www.example.com/spring"},
        {"kind": "letter", "template": letter_template.pk},
        {"kind": "call", "note": "Ask about spring", "to": "owner"},
    ]

    def batch_of(count):
        leads = [prospect(company=CompanyFactory(name=f"Firm {count}-{n}")) for n in range(count)]
        services.enrol(sequence_id=sequence(steps, name=f"Spring {count}").pk, lead_ids=[lead.pk for lead in leads])
        with CaptureQueriesContext(connection) as statements:
            assert sweep() == count
        for lead in leads:
            email = Email.objects.get(to_address=lead.contact.email, key__startswith="nurture:")
            assert email.text.startswith(f"For everyone at {lead.contact.company.name}: ")
            assert Letter.objects.filter(lead=lead).count() == FollowUp.objects.filter(lead=lead).count() == 1
        return len(statements)

    batch_of(1)  # the day's letter batch is made by the first
    assert batch_of(3) == batch_of(12)
