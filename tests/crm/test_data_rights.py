"""A contact's export and erasure (issue 12; CONTRACT "Imports and data rights").

One contact is given everything the product can hold about a person (a web-form capture with
its Idempotency-Key replay, notes, answers, a won sale, a redemption, follow-ups done and open,
a referral, letters printed and not yet printed with their e-mails, a notification, feedback,
an admin history entry), then erased: their name, e-mail, phone, address, title and what was
typed about them must be in no text or JSON column of any model, no API answer and no page,
while the scoreboard still counts the sale."""

import io
import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import CharField, JSONField, TextField
from django.db.models.functions import Cast
from django.test.utils import isolate_apps
from django.utils import timezone
from pypdf import PdfReader

from campaigns.models import Campaign, Offer, Redemption
from crm.models import Contact, Erasure, Suppression
from crm.services import update_contact
from crm.suppression import digest, suppressed
from data_rights import registry
from data_rights.scope import CLOSED_REASON, ERASED_IN_TEXT, FOLLOWUP_CANCELLED, NOTIFICATION_TEXT
from data_rights.services import erase_contact
from followups import services as followups
from followups.letters import services as letters
from followups.letters.jobs import LetterBatchJob
from followups.models import FollowUp, FollowUpStatus, Letter, LetterBatch, LetterStatus, LetterTemplate
from jobs import services as jobs
from leads.kinds import Stage
from leads.models import IdempotencyRecord, Lead
from leads.redemptions import redeem_offer
from leads.services import log_interaction
from notifications.models import Notification
from notifications.services import notify
from outbox.models import Email
from outbox.services import send_email
from reports.periods import Period
from reports.selectors import summary
from sales import services as sales
from tests.factories import ContactFactory, LeadFactory, closed_lead, signed_in_client

pytestmark = pytest.mark.django_db

EMAIL = "augusta.byronique@example.org"
PHONE = "+15550199042"
# Every one of these is personal data of the contact; none may survive the erasure anywhere.
PERSONAL = [
    "Augusta",
    "Byronique",
    EMAIL,
    "5550199042",
    "Analytical Row",
    "Countess",
    "Mathematician",
    "Byronique Engines",
    "boiler in the attic",
    "prefers mornings",
    "grandchildren",
    "lovely to deal with",
]


def _period():
    today = timezone.localdate()
    return Period(today - timedelta(days=400), today)


@pytest.fixture
def shipped(db):
    """The follow-up scripts and the letter a fresh install ships (migration 0002)."""
    from followups.defaults import LETTER, SCRIPTS
    from followups.models import FollowUpScript

    for script in SCRIPTS:
        FollowUpScript.objects.get_or_create(name=script["name"], defaults=script)
    LetterTemplate.objects.get_or_create(name=LETTER["name"], defaults=LETTER)


@pytest.fixture
def person(shipped, users, api_as, form_key, settings, tmp_path):
    """A contact with everything; returns the ids a test needs."""
    settings.CRM_LETTERS_DIR = tmp_path
    manager = users["manager"]
    manager.email = "boss@example.com"  # notifications are e-mailed to them too
    manager.save(update_fields=["email"])
    _, raw_key = form_key
    body = {
        "first_name": "Augusta",
        "last_name": "Byronique",
        "email": EMAIL,
        "phone": "(555) 019-9042",
        "company": "Byronique Engines Ltd",
        "message": "The boiler in the attic is leaking",
        "consent": True,
    }
    capture = api_as().post(
        "/api/v1/capture/", body, format="json", HTTP_X_FORM_KEY=raw_key, HTTP_IDEMPOTENCY_KEY="form-submit-1"
    )
    assert capture.status_code == 201, capture.content
    replay = api_as().post(
        "/api/v1/capture/", body, format="json", HTTP_X_FORM_KEY=raw_key, HTTP_IDEMPOTENCY_KEY="form-submit-1"
    )
    assert replay.json() == capture.json()
    contact = Contact.objects.get(pk=capture.json()["contact"])
    won = Lead.objects.get(pk=capture.json()["lead"])
    update_contact(
        contact_id=contact.pk,
        title="Countess of Computing",
        persona="Mathematician",
        mailing_address="12 Analytical Row\nLondon NW1",
    )
    log_interaction(lead_id=won.pk, kind="note", author=manager, note="Augusta prefers mornings")
    log_interaction(
        lead_id=won.pk,
        kind="answers",
        author=manager,
        answers=[{"question": "timeline", "answer": "this_month"}],
    )
    log_interaction(
        lead_id=won.pk,
        kind="call_inbound",
        author=manager,
        note="Called about the boiler in the attic",
        metadata={"heard_from": "Augusta's grandchildren"},
    )
    now = timezone.now()
    campaign = Campaign.objects.create(name="Winter")
    offer = Offer.objects.create(
        campaign=campaign, code="WARM10", headline="10% off", starts_at=now - timedelta(days=1), launched_at=now,
        deadline=now + timedelta(days=30),
    )  # fmt: skip
    redeem_offer(offer_id=offer.pk, lead_id=won.pk, by=manager)
    sales.close_lead(lead_id=won.pk, outcome="won", by=manager, amount="4321.00")
    sales.record_feedback(lead_id=won.pk, by=manager, rating=5, reason="Augusta was lovely to deal with")
    notify([manager], lead=won, message=f"Hot lead {contact} has waited 12 min without a call.")
    LogEntry.objects.create(
        user=manager,
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=str(contact.pk),
        object_repr=str(contact),
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": ["Title"]}}]),
    )

    # After the sale: one follow-up done (with a referral), the others left open, and a callback.
    done, *_ = FollowUp.objects.filter(lead=won, kind="closed_won")
    completed = followups.complete(
        followup_id=done.pk,
        by=manager,
        answers={"needs_met": "yes", "more_info": "Augusta asks about her grandchildren's rooms"},
        note="Augusta happy",
        referrals=[{"first_name": "Bob", "last_name": "Referredson", "email": "bob.ref@example.org", "phone": ""}],
    )
    [referred] = completed.referrals
    followups.schedule_callback(
        lead_id=won.pk, due_at=now + timedelta(days=1), by=manager, note="Ring Augusta Byronique"
    )  # fmt: skip

    # A second lead, unclosed for 40 days: lettered in a printed batch (its e-mail sent) and in a
    # batch still being sent (its letter written, its e-mail waiting, no PDF yet).
    unclosed = closed_lead(Stage.UNCLOSED, by=manager, contact=contact, reason="Wants to ask her grandchildren")
    Lead.objects.filter(pk=unclosed.pk).update(closed_at=now - timedelta(days=40))
    other = closed_lead(Stage.UNCLOSED, by=manager, contact=ContactFactory(first_name="Olive", last_name="Otherly"))
    Lead.objects.filter(pk=other.pk).update(closed_at=now - timedelta(days=40))
    template = LetterTemplate.objects.get(name__startswith="Unclosed prospect")
    printed = letters.start_batch(template_id=template.pk, by=manager)
    jobs.run_job(printed.job_id)
    printed.refresh_from_db()
    assert printed.pdf
    mine = Letter.objects.get(batch=printed, lead=unclosed)
    send_email(Email.objects.get(key=f"letter:{mine.pk}").pk)
    second = LetterTemplate.objects.create(
        name="Second try", subject="{{ first_name }}, one more thing", body="Dear {{ first_name }},\n\nHello."
    )
    running = letters.start_batch(template_id=second.pk, by=manager)
    kind = LetterBatchJob()
    kind.work(running.job, running.job.slices.first(), kind.begin(running.job))  # the worker is still going
    assert Letter.objects.filter(batch=running, lead=unclosed).exists()
    assert "Dear Augusta" in Email.objects.get(key__startswith="letter:", sent_at__isnull=True, to_address=EMAIL).text
    return {
        "contact": contact.pk,
        "won": won.pk,
        "unclosed": unclosed.pk,
        "referred": referred.pk,
        "other": other.pk,
        "printed": printed.pk,
        "running": running.pk,
        "offer": offer.pk,
    }


def text_columns_naming(word: str) -> list[str]:
    """Every text or JSON column of every model that holds `word` (any case), as model.field."""
    found = []
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        if model._meta.db_table not in tables:  # an app still being written, without its migration
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, CharField | TextField | JSONField):
                continue
            rows = model._default_manager.all()
            if isinstance(field, JSONField):
                rows = rows.annotate(_text=Cast(field.name, TextField())).filter(_text__icontains=word)
            else:
                rows = rows.filter(**{f"{field.name}__icontains": word})
            if rows.exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


def test_the_export_holds_everything_about_the_contact(person, users, api_as):
    response = api_as(users["manager"]).get(f"/api/v1/contacts/{person['contact']}/export/")
    assert response.status_code == 200
    document = response.json()
    assert document["erased"] is False
    assert (document["contact"]["email"], document["contact"]["phone"]) == (EMAIL, PHONE)
    assert document["contact"]["mailing_address"] == "12 Analytical Row\nLondon NW1"
    assert document["company"]["name"] == "Byronique Engines Ltd"
    assert {lead["id"] for lead in document["leads"]} == {person["won"], person["unclosed"]}
    won = next(lead for lead in document["leads"] if lead["id"] == person["won"])
    assert won["won_amount"] == "4321.00" and won["inquiry_reason"] == "The boiler in the attic is leaking"
    notes = [row["note"] for row in document["interactions"]]
    assert "Augusta prefers mornings" in notes and "Called about the boiler in the attic" in notes
    assert any(row["answers"] == [{"question": "timeline", "answer": "this_month"}] for row in document["interactions"])
    assert any(row["author"] == "manager1" for row in document["interactions"])
    assert {row["to_stage"] for row in document["stage_changes"]} >= {"inquiry", "won", "customer"}
    assert document["score_changes"]
    assert [row["offer"] for row in document["offers_redeemed"]] == [person["offer"]]
    assert {row["status"] for row in document["followups"]} >= {"done", "scheduled"}
    assert any("grandchildren" in json.dumps(row["answers"]) for row in document["followups"])
    assert {row["batch"] for row in document["letters"]} == {person["printed"], person["running"]}
    assert all(row["text"].startswith("Dear Augusta") for row in document["letters"])
    assert [row["message"] for row in document["notifications"]] == [
        "Hot lead Augusta Byronique has waited 12 min without a call."
    ]
    assert {row["key"].split(":")[0] for row in document["emails"]} == {"letter", "notification"}
    assert [row["response"]["lead"] for row in document["capture_replays"]] == [person["won"]]
    assert [row["object_repr"] for row in document["admin_log"]] == ["Augusta Byronique"]
    assert document["feedback"][0]["reason"] == "Augusta was lovely to deal with"
    assert document["referred_leads"] == [person["referred"]]
    assert "Olive" not in json.dumps(document)  # another person's letter is not theirs


def test_the_browser_export_is_a_json_download(person, users):
    response = signed_in_client(users["manager"]).get(f"/contacts/{person['contact']}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="contact-{person["contact"]}-export.json"'
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content)["contact"]["email"] == EMAIL


def test_erasure_removes_the_person_everywhere_and_keeps_the_figures(
    person, users, api_as, settings, django_capture_on_commit_callbacks
):
    manager = api_as(users["manager"])
    before = summary(_period())
    assert before["revenue"] == "4321.00"
    assert all(text_columns_naming(word) for word in ("Augusta", EMAIL, "5550199042"))  # the check can find them

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"/api/v1/contacts/{person['contact']}/erase/")
    assert response.status_code == 200 and response.json() == {"erased": True}

    # Nothing stored names them: every text and JSON column of every model.
    leftovers = {word: text_columns_naming(word) for word in PERSONAL}
    assert not any(leftovers.values()), leftovers

    # The figures stay: the sale counts on the scoreboard, anonymously; the offer's redemption too.
    after = summary(_period())
    assert after["revenue"] == "4321.00" and after["won"] == before["won"] and after["leads"] == before["leads"]
    won = Lead.objects.get(pk=person["won"])
    assert (won.stage, won.won_amount, won.score) == (Stage.CUSTOMER, 4321, 100)
    assert Redemption.objects.filter(lead=won).count() == 1 and Offer.objects.get(pk=person["offer"]).redeemed == 1

    # The open lead is closed dead; nothing is left to do for anyone.
    unclosed = Lead.objects.get(pk=person["unclosed"])
    assert (unclosed.stage, unclosed.lost_reason, unclosed.score) == (Stage.DEAD, CLOSED_REASON, 0)
    open_followups = FollowUp.objects.filter(lead__contact_id=person["contact"], status__in=["scheduled", "due"])
    assert not open_followups.exists()
    cancelled = FollowUp.objects.filter(lead_id=person["won"], status=FollowUpStatus.SKIPPED)
    assert cancelled.count() >= 2 and {f.outcome for f in cancelled} == {FOLLOWUP_CANCELLED}
    assert Letter.objects.get(batch_id=person["running"], lead=unclosed).status == LetterStatus.CANCELLED
    printed = Letter.objects.get(batch_id=person["printed"], lead=unclosed)
    assert (printed.status, printed.subject, printed.text) == (LetterStatus.SENT, "", "")
    queued = Letter.objects.get(batch_id=person["running"], lead=unclosed)
    assert not Email.objects.filter(key=f"letter:{queued.pk}").exists()  # never sent
    assert not Email.objects.filter(key__startswith="notification:").exists()
    sent = Email.objects.get(key=f"letter:{printed.pk}")
    assert sent.sent_at and (sent.to_address, sent.text) == ("", "")
    assert not IdempotencyRecord.objects.exists()
    assert Notification.objects.get(lead_id=person["won"]).message == NOTIFICATION_TEXT

    # The contact row stays, anonymized, never to be contacted.
    contact = Contact.objects.get(pk=person["contact"])
    assert (contact.full_name, contact.email, contact.phone) == ("Erased contact", "", "")
    assert (contact.do_not_contact, contact.consent, contact.erased_at is not None) == (True, False, True)
    assert contact.company.name == "Erased company"  # nobody else worked there

    # The lead they referred keeps its link, not their name.
    referred = Lead.objects.get(pk=person["referred"])
    assert referred.referrer_id == person["won"] and referred.inquiry_reason == f"Referred by {ERASED_IN_TEXT}"

    # Suppressed as keyed hashes; the audit row says who and when, with counts only.
    assert suppressed(emails=[EMAIL], phones=[PHONE]) == {("email", EMAIL), ("phone", PHONE)}
    assert set(Suppression.objects.values_list("digest", flat=True)) == {digest(EMAIL), digest(PHONE)}
    erasure = Erasure.objects.get(contact_id=person["contact"])
    assert erasure.erased_by == users["manager"] and erasure.erased_at == contact.erased_at
    assert erasure.counts["leads.Lead"] == 3 and erasure.counts["leads.IdempotencyRecord"] == 1
    assert set(erasure.counts) <= set(registry.COVERED)

    # The printed batch's PDF on disk is written again without them, with the other reader's letter.
    pdf = settings.CRM_LETTERS_DIR / LetterBatch.objects.get(pk=person["printed"]).pdf
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Dear Olive" in text and "Augusta" not in text and "Analytical" not in text

    # Their export now says only that they were erased.
    exported = manager.get(f"/api/v1/contacts/{person['contact']}/export/").json()
    assert exported["erased"] is True and "contact" not in exported


def test_after_erasure_no_api_answer_or_page_shows_them(person, users, api_as):
    api_as(users["manager"]).post(f"/api/v1/contacts/{person['contact']}/erase/")
    manager = api_as(users["manager"])
    browser = signed_in_client(users["manager"])
    answers = [
        manager.get(f"/api/v1/leads/{person['won']}/"),
        manager.get(f"/api/v1/leads/{person['unclosed']}/interactions/"),
        manager.get(f"/api/v1/leads/{person['won']}/interactions/"),
        manager.get(f"/api/v1/leads/{person['referred']}/"),
        manager.get("/api/v1/leads/?page_size=200"),
        manager.get(f"/api/v1/followups/?lead={person['won']}"),
        manager.get(f"/api/v1/letters/?lead={person['unclosed']}"),
        manager.get("/api/v1/notifications/"),
        browser.get(f"/leads/{person['won']}/"),
        browser.get(f"/leads/{person['unclosed']}/"),
        browser.get(f"/leads/{person['referred']}/"),
        browser.get("/leads/"),
        browser.get("/leads/export.csv"),
        browser.get(f"/console/caller/{person['won']}/"),
        browser.get("/notifications/"),
        browser.get("/followups/"),
        browser.get(f"/letters/batches/{person['printed']}/"),
    ]
    for response in answers:
        assert response.status_code == 200, (response.request["PATH_INFO"], response.status_code)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        named = [word for word in PERSONAL if word.lower() in content.decode().lower()]
        assert not named, (response.request["PATH_INFO"], named)
    lead_page = browser.get(f"/leads/{person['won']}/").content.decode()
    assert "Erased contact" in lead_page and 'data-testid="contact-erased"' in lead_page
    assert "$4,321.00" in lead_page  # the sale still shows

    # Searching by what they were called finds nothing (the search box shows what was typed).
    for text in ("Byronique", "Augusta Byronique", EMAIL, PHONE, "(555) 019-9042", "9042"):
        assert manager.get("/api/v1/callers/", {"q": text}).json()["results"] == [], text
        assert manager.get("/api/v1/leads/", {"q": text}).json()["results"] == [], text
        for page in (browser.get("/leads/", {"q": text}), browser.get("/console/search/", {"q": text, "pick": 1})):
            html = page.content.decode()
            assert f"/leads/{person['won']}/" not in html and f"/leads/{person['unclosed']}/" not in html, text


def test_the_audit_row_reads_in_the_admin_without_the_person(person, users):
    erasure = erase_contact(contact_id=person["contact"], by=users["manager"])
    browser = signed_in_client(users["manager"])
    page = browser.get(f"/admin/crm/erasure/{erasure.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "leads.Interaction: " in html and "notes, answers, metadata removed" in html and "manager1" in html
    assert not [word for word in PERSONAL if word.lower() in html.lower()]
    assert browser.get("/admin/crm/erasure/add/").status_code == 403


def test_erasing_twice_is_a_409_that_changes_nothing(person, users, api_as):
    manager = api_as(users["manager"])
    assert manager.post(f"/api/v1/contacts/{person['contact']}/erase/").status_code == 200
    again = manager.post(f"/api/v1/contacts/{person['contact']}/erase/")
    assert again.status_code == 409 and "already erased" in again.json()["detail"]
    assert Erasure.objects.count() == 1


def test_an_erasure_that_fails_half_way_changes_nothing(person, users, monkeypatch):
    def broken(scope):
        raise RuntimeError("disk on fire")

    entry = registry.COVERED["followups.Letter"]
    monkeypatch.setitem(registry.COVERED, "followups.Letter", entry.__class__(**{**entry.__dict__, "erase": broken}))
    with pytest.raises(RuntimeError):
        erase_contact(contact_id=person["contact"], by=users["manager"])
    contact = Contact.objects.get(pk=person["contact"])
    assert (contact.email, contact.erased_at) == (EMAIL, None)
    assert not Suppression.objects.exists() and not Erasure.objects.exists()
    assert Lead.objects.get(pk=person["unclosed"]).stage == Stage.UNCLOSED
    assert IdempotencyRecord.objects.exists()


def test_a_company_other_contacts_work_at_is_kept(users):
    lead = LeadFactory(contact=ContactFactory(company=None))
    colleague = ContactFactory()
    from crm.services import company_for_name

    shared = company_for_name("Shared Plumbing Co")
    Contact.objects.filter(pk__in=[lead.contact_id, colleague.pk]).update(company=shared)
    erase_contact(contact_id=lead.contact_id, by=users["manager"])
    shared.refresh_from_db()
    assert shared.name == "Shared Plumbing Co"
    assert Contact.objects.get(pk=lead.contact_id).company_id == shared.pk


def test_a_contact_with_only_an_email_is_erased_within_the_name_or_address_constraint(users):
    contact = Contact.objects.create(email="only.mail@example.org")
    LeadFactory(contact=contact)
    erase_contact(contact_id=contact.pk, by=users["manager"])
    contact.refresh_from_db()
    assert (contact.first_name, contact.email) == ("Erased", "")
    assert suppressed(emails=["only.mail@example.org"]) == {("email", "only.mail@example.org")}


def test_a_contact_without_leads_is_erased(users):
    contact = ContactFactory(email="no.leads@example.org", phone="+15550100777")
    erasure = erase_contact(contact_id=contact.pk, by=users["manager"])
    assert erasure.counts == {"crm.Contact": 1}
    assert suppressed(phones=["+15550100777"]) == {("phone", "+15550100777")}


# --- Who may, and unknown ids -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["csr", "sales", "marketing", "nobody"])
def test_only_managers_may_export_or_erase(role, users, api_as):
    lead = LeadFactory()
    client = api_as(users[role])
    assert client.get(f"/api/v1/contacts/{lead.contact_id}/export/").status_code == 403
    assert client.post(f"/api/v1/contacts/{lead.contact_id}/erase/").status_code == 403
    browser = signed_in_client(users[role])
    assert browser.get(f"/contacts/{lead.contact_id}/export/").status_code == 403
    assert browser.get(f"/contacts/{lead.contact_id}/erase/").status_code == 403
    assert browser.post(f"/contacts/{lead.contact_id}/erase/", {"confirm": "on"}).status_code == 403
    assert Contact.objects.get(pk=lead.contact_id).erased_at is None


def test_anonymous_callers_are_asked_to_sign_in(api_as, client):
    lead = LeadFactory()
    assert api_as().get(f"/api/v1/contacts/{lead.contact_id}/export/").status_code == 401
    assert api_as().post(f"/api/v1/contacts/{lead.contact_id}/erase/").status_code == 401
    assert client.get(f"/contacts/{lead.contact_id}/erase/").status_code == 302  # to the log-in page


def test_unknown_contacts_are_404(users, api_as):
    manager = api_as(users["manager"])
    assert manager.get("/api/v1/contacts/999999/export/").status_code == 404
    assert manager.post("/api/v1/contacts/999999/erase/").status_code == 404
    assert signed_in_client(users["manager"]).get("/contacts/999999/erase/").status_code == 404


# --- The browser's confirmation ------------------------------------------------------------------


def test_the_lead_page_offers_export_and_erase_to_managers_only(users):
    lead = LeadFactory()
    page = signed_in_client(users["manager"]).get(f"/leads/{lead.pk}/").content.decode()
    assert f'href="/contacts/{lead.contact_id}/export/"' in page
    assert f'href="/contacts/{lead.contact_id}/erase/?lead={lead.pk}"' in page
    other = signed_in_client(users["csr"]).get(f"/leads/{lead.pk}/").content.decode()
    assert "/erase/" not in other and "/export/" not in other


def test_the_confirmation_says_what_happens_and_needs_the_box_ticked(person, users):
    browser = signed_in_client(users["manager"])
    url = f"/contacts/{person['contact']}/erase/?lead={person['won']}"
    page = browser.get(url).content.decode()
    assert "Erase Augusta Byronique?" in page
    assert "1 open lead will be closed as dead" in page and "$4,321.00" in page
    assert "letter not yet printed will be cancelled" in page
    refused = browser.post(url, {"lead": person["won"]})
    assert refused.status_code == 400 and "Tick the box to confirm the erasure." in refused.content.decode()
    assert Contact.objects.get(pk=person["contact"]).erased_at is None


def test_a_double_submitted_confirmation_erases_once(person, users):
    browser = signed_in_client(users["manager"])
    url = f"/contacts/{person['contact']}/erase/"
    form = {"confirm": "on", "lead": person["won"], "submission": "one-time-token-1"}
    first = browser.post(url, form, follow=True)
    assert first.redirect_chain[-1][0] == f"/leads/{person['won']}/"
    assert "The contact was erased" in first.content.decode()
    second = browser.post(url, form, follow=True)
    assert "Already erased: the form arrived twice and erased once." in second.content.decode()
    assert Erasure.objects.count() == 1
    another_form = browser.post(url, {**form, "submission": "one-time-token-2"}, follow=True)
    assert "already erased" in another_form.content.decode()
    assert Erasure.objects.count() == 1


# --- Coverage -------------------------------------------------------------------------------------


def test_every_model_that_refers_to_a_contact_or_a_lead_is_exported_and_erased():
    found = registry.referring_models()
    assert {"leads.Interaction", "followups.Letter", "scoring.ScoreChange", "campaigns.Redemption"} <= found
    missing = sorted(found - set(registry.COVERED))
    assert not missing, (
        f"{missing} refer to a contact or a lead but data_rights/registry.py does not say how "
        "they are exported and erased: add them to COVERED."
    )


def test_every_model_is_covered_or_known_to_hold_nothing_about_a_contact():
    unknown = registry.unclassified_models()
    assert not unknown, (
        f"{unknown}: may these hold a contact's data (an e-mail in an import row, a name in a text)? "
        "List each in data_rights/registry.py: COVERED (export and erase) or NOT_PERSONAL (why not)."
    )


def test_the_registry_names_only_models_that_exist():
    for label in registry.COVERED:
        assert apps.get_model(label) is not None, label
    for label in (label for label in registry.NOT_PERSONAL if "." in label):
        if label.split(".")[0] in apps.app_configs:  # another app's entry may wait for its app to land
            assert apps.get_model(label) is not None, label
    assert not set(registry.COVERED) & set(registry.NOT_PERSONAL)


@isolate_apps("crm")
def test_a_new_model_pointing_at_a_lead_is_found_until_it_is_covered():
    class ImportRow(models.Model):
        lead = models.ForeignKey(Lead, on_delete=models.CASCADE)

        class Meta:
            app_label = "crm"

        def __str__(self):
            return f"row {self.pk}"

    class ImportNote(models.Model):  # through another model that points at a lead
        row = models.ForeignKey(ImportRow, on_delete=models.CASCADE)

        class Meta:
            app_label = "crm"

        def __str__(self):
            return f"note {self.pk}"

    found = registry.referring_models([*apps.get_models(), ImportRow, ImportNote])
    assert {"crm.ImportRow", "crm.ImportNote"} <= found
    assert {"crm.ImportRow", "crm.ImportNote"} & set(registry.COVERED) == set()
