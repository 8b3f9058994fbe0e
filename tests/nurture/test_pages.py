"""The sequence pages: who may open them, the builder (saving rows as steps, keeping keys through
an edit, refusing a bad sequence with every reason), starting and pausing, the sequence's page
(steps, trigger preview, report), enrolling from the lead list and from the lead page, and the
lead page's sequences panel."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from leads.kinds import Stage
from leads.models import Lead
from nurture.models import Enrolment, EnrolmentStatus, ExitReason, Sequence, SequenceStatus
from tests.factories import client_for, closed_lead
from tests.nurture.conftest import EMAIL, prospect, sequence, sweep

pytestmark = pytest.mark.django_db


def rows(*steps: dict) -> dict:
    """The builder's posted rows for `steps` (step-0-kind, step-0-subject …), then two blank rows."""
    data = {}
    for index, step in enumerate([*steps, {}, {}]):
        data[f"step-{index}-kind"] = step.get("kind", "")
        for name, value in step.items():
            if name != "kind":
                data[f"step-{index}-{name}"] = value
    return data


def builder_post(**fields) -> dict:
    return {"name": "Spring warm-up", "description": "", "trigger": "", "trigger_days": "0", **fields}


WAIT = {"kind": "wait", "days": "2"}
OPENED = {"kind": "branch", "if": "opened", "then": "next", "else": "end"}


# --- Who may open them --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["csr", "sales", "nobody"])
def test_only_marketing_and_managers_open_the_sequence_pages(users, role):
    made = sequence([EMAIL], name="Closed to others")
    page = client_for(users[role])
    for path in ("/sequences/", "/sequences/new/", f"/sequences/{made.pk}/", f"/sequences/{made.pk}/edit/"):
        assert page.get(path).status_code == 403, path
    assert page.post("/sequences/enrol/", {"sequence": made.pk, "lead": [prospect().pk]}).status_code == 403
    assert page.post(f"/sequences/{made.pk}/pause/").status_code == 403
    assert not Enrolment.objects.exists()
    for role_ in ("marketing", "manager"):
        assert client_for(users[role_]).get("/sequences/").status_code == 200


def test_a_visitor_is_sent_to_log_in():
    response = Client().get("/sequences/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_marketing_menu_links_the_sequences(users):
    assert 'href="/sequences/"' in client_for(users["marketing"]).get("/").content.decode()
    assert 'href="/sequences/"' not in client_for(users["csr"]).get("/").content.decode()


# --- The builder ----------------------------------------------------------------------------------


def test_the_builder_saves_the_rows_as_steps_and_leaves_blank_rows_out(users):
    email = {"kind": "email", "subject": "Hi {{ first_name }}", "text": "Still thinking it over?"}
    window = {"kind": "wait", "days": "2", "weekdays": ["mon", "tue"], "from_hour": "9", "to_hour": "12"}
    call = {"kind": "call", "note": "Ask whether the quote helped", "to": "csr"}
    data = builder_post(trigger="inquiry_not_ready", trigger_days="14", **rows(email, window, OPENED, call))

    response = client_for(users["marketing"]).post("/sequences/new/", data)

    made = Sequence.objects.get(name="Spring warm-up")
    assert response.status_code == 302 and response["Location"] == f"/sequences/{made.pk}/"
    assert made.trigger == "inquiry_not_ready" and made.trigger_days == 14 and made.status == SequenceStatus.DRAFT
    assert [step["kind"] for step in made.steps] == ["email", "wait", "branch", "call"]
    window_stored = {"kind": "wait", "days": 2, "weekdays": ["mon", "tue"], "from_hour": 9, "to_hour": 12, "key": "s2"}
    assert made.steps[1] == window_stored
    assert made.steps[2]["then"] == "next" and made.steps[2]["else"] == "end"
    assert made.steps[3]["to"] == "csr" and made.created_by == users["marketing"]


def test_the_builder_refuses_a_bad_sequence_with_every_reason_and_keeps_what_was_typed(users):
    data = builder_post(
        name="",
        **rows(
            {"kind": "email", "subject": "Hi {{ nickname }}", "text": "Hello"},
            {"kind": "wait", "days": "0"},
            {"kind": "branch", "if": "opened", "then": "1"},
            {"kind": "letter", "template": ""},
        ),
    )

    response = client_for(users["marketing"]).post("/sequences/new/", data)

    assert response.status_code == 400
    html = response.content.decode()
    for reason in (
        "Give the sequence a name.",
        "Step 1: subject: Unknown merge field: {{ nickname }}",
        "Step 2: a wait of 0 days: wait at least 1 day",
        "Step 3: then goes back to step 1: that would loop",
        "Step 4: no active letter template has the id",
    ):
        assert reason in html, reason
    assert 'value="Hi {{ nickname }}"' in html  # what was typed stays
    assert not Sequence.objects.filter(name="").exists()


def test_a_branch_on_an_open_right_after_the_email_is_refused_in_the_builder(users):
    response = client_for(users["marketing"]).post("/sequences/new/", builder_post(**rows(EMAIL, OPENED)))
    assert response.status_code == 400
    assert "put a wait between them" in response.content.decode()


def test_an_edit_keeps_each_steps_key_and_targets_read_as_step_numbers(users):
    made = sequence([EMAIL, WAIT, OPENED | {"then": 4}, EMAIL | {"subject": "Second"}], name="Keys")
    page = client_for(users["marketing"])
    form = page.get(f"/sequences/{made.pk}/edit/").content.decode()
    assert 'name="step-0-key" value="s1"' in form and 'name="step-2-then" id="id_step-2-then" value="4"' in form

    moved = rows(
        {"kind": "email", "key": "s1", "subject": EMAIL["subject"], "text": EMAIL["text"]},
        {"kind": "wait", "key": "s2", "days": "3"},
        {"kind": "email", "key": "s4", "subject": "Second", "text": "Moved up"},
        {"kind": "call", "note": "A new step"},
    )
    response = page.post(f"/sequences/{made.pk}/edit/", builder_post(name="Keys", **moved))

    assert response.status_code == 302
    made.refresh_from_db()
    assert [step["key"] for step in made.steps] == ["s1", "s2", "s4", "s5"]
    assert made.steps[1]["days"] == 3 and made.status == SequenceStatus.ACTIVE


def test_the_builder_shows_the_merge_fields_with_the_referral_link_but_no_response_code(users):
    html = client_for(users["marketing"]).get("/sequences/new/").content.decode()
    assert "{{ referral_link }}" in html and "{{ first_name }}" in html
    assert "response_code" not in html
    page, template = html.split("<template data-step-template>")
    assert page.count('data-testid="step-row"') == 5  # five blank rows work without script
    assert template.count('data-testid="step-row"') == 1  # the one "Add a step" copies


# --- Starting, pausing, the sequence's page ---------------------------------------------------------


def test_start_and_pause(users):
    made = sequence([EMAIL], name="Toggle", start=False)
    page = client_for(users["manager"])
    assert page.post(f"/sequences/{made.pk}/start/").status_code == 302
    made.refresh_from_db()
    assert made.status == SequenceStatus.ACTIVE
    page.post(f"/sequences/{made.pk}/pause/")
    made.refresh_from_db()
    assert made.status == SequenceStatus.PAUSED
    assert "Paused" in page.get(f"/sequences/{made.pk}/").content.decode()


def test_starting_is_refused_with_the_reasons_when_a_letter_was_archived_since(users, letter_template):
    made = sequence([{"kind": "letter", "template": letter_template.pk}], name="Letter first", start=False)
    letter_template.active = False
    letter_template.save()

    response = client_for(users["marketing"]).post(f"/sequences/{made.pk}/start/")

    assert response.status_code == 400
    assert "Step 1: no active letter template has the id" in response.content.decode()
    made.refresh_from_db()
    assert made.status == SequenceStatus.DRAFT


def test_the_sequence_page_shows_its_steps_the_trigger_preview_and_the_report(users):
    steps = [EMAIL, WAIT, OPENED | {"then": 4}, EMAIL]
    made = sequence(steps, name="Unclosed again", trigger="unclosed", trigger_days=30, start=False)
    lost = closed_lead(Stage.UNCLOSED, claim=True)
    Lead.objects.filter(pk=lost.pk).update(closed_at=timezone.now() - timedelta(days=31))

    html = client_for(users["marketing"]).get(f"/sequences/{made.pk}/").content.decode()

    assert "E-mail “Still thinking it over, {{ first_name }}?”" in html
    assert "Wait 2 days" in html and "If opened" in html and "then step 4, else the end" in html
    assert "<strong>1</strong> lead" in html and f"/leads/{lost.pk}/" in html
    assert "Entries into the sequence in the period" in html  # each figure with its definition
    assert "Unsubscribed" in html and "Revenue" in html


def test_the_list_shows_counts(users):
    made = sequence([EMAIL, WAIT, EMAIL], name="Counted")
    Enrolment.objects.create(sequence=made, lead=prospect(), stage_at_enrolment="inquiry", last_step_at=timezone.now())
    html = client_for(users["marketing"]).get("/sequences/").content.decode()
    assert f'href="/sequences/{made.pk}/">Counted</a>' in html
    assert '<td class="num">1</td><td class="num">1</td>' in html


# --- Enrolling from the lead list -----------------------------------------------------------------


def test_marketing_enrols_the_ticked_leads_from_the_list_and_hears_who_was_skipped(users):
    made = sequence([EMAIL, WAIT, EMAIL], name="Spring")
    first, second, refused = prospect(), prospect(), prospect(do_not_contact=True)
    page = client_for(users["marketing"])

    response = page.post(
        "/sequences/enrol/",
        {"sequence": made.pk, "lead": [first.pk, second.pk, refused.pk], "list_query": "stage=inquiry&sort=name"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/leads/?stage=inquiry&sort=name"
    assert "2 leads enrolled in Spring; 1 skipped (1 marked do not contact)." in response.content.decode()
    assert set(Enrolment.objects.filter(sequence=made).values_list("lead_id", flat=True)) == {first.pk, second.pk}


def test_enrolling_with_nothing_ticked_or_no_sequence_says_so(users):
    made = sequence([EMAIL], name="Spring")
    page = client_for(users["manager"])
    nothing = page.post("/sequences/enrol/", {"sequence": made.pk}, follow=True).content.decode()
    assert "Tick the leads to add to the sequence." in nothing
    no_sequence = page.post("/sequences/enrol/", {"sequence": "", "lead": [prospect().pk]}, follow=True)
    assert "Choose the sequence to add them to." in no_sequence.content.decode()
    draft = sequence([EMAIL], name="Draft", start=False)
    refused = page.post("/sequences/enrol/", {"sequence": draft.pk, "lead": [prospect().pk]}, follow=True)
    assert "is a draft: start it before enrolling leads." in refused.content.decode()
    assert not Enrolment.objects.exists()


def test_the_list_offers_add_to_sequence_to_marketing_and_managers_only(users):
    sequence([EMAIL], name="Open one")
    sequence([EMAIL], name="Still a draft", start=False)
    prospect()
    marketing = client_for(users["marketing"]).get("/leads/").content.decode()
    assert 'form="bulk-actions"' in marketing and 'data-check-all="bulk-actions"' in marketing
    assert "Add to sequence" in marketing and ">Open one</option>" in marketing
    assert "Still a draft" not in marketing and 'id="bulk-handover"' not in marketing
    manager = client_for(users["manager"]).get("/leads/").content.decode()
    assert 'form="bulk-handover"' in manager and "Add to sequence" in manager and "Hand over" in manager
    for role in ("csr", "sales"):
        html = client_for(users[role]).get("/leads/").content.decode()
        assert "Add to sequence" not in html and 'name="lead"' not in html, role


def test_the_list_costs_one_query_more_for_the_sequences(users, django_assert_max_num_queries):
    sequence([EMAIL], name="Open one")
    for _ in range(10):
        prospect()
    page = client_for(users["marketing"])
    page.get("/leads/")
    with django_assert_max_num_queries(9):
        assert page.get("/leads/").status_code == 200


# --- The lead page -------------------------------------------------------------------------------


def test_the_lead_page_lists_the_enrolments_with_the_next_step(users):
    made = sequence([WAIT, EMAIL], name="Slow start")
    lead = prospect()
    client_for(users["marketing"]).post(f"/leads/{lead.pk}/sequences/", {"sequence": made.pk})
    sweep()

    html = client_for(users["csr"]).get(f"/leads/{lead.pk}/").content.decode()
    assert 'data-testid="lead-sequences"' in html and "Slow start" in html
    assert "Next: step 1, Wait 2 days, until" in html
    assert "Take out" not in html and "Add to the sequence" not in html  # a CSR only reads it


def test_marketing_adds_a_lead_from_its_page_and_takes_it_out(users):
    made = sequence([EMAIL, WAIT, EMAIL], name="Spring")
    lead = prospect()
    page = client_for(users["marketing"])
    html = page.get(f"/leads/{lead.pk}/").content.decode()
    assert "Not in any sequence." in html and "Add to the sequence" in html

    added = page.post(f"/leads/{lead.pk}/sequences/", {"sequence": made.pk}, follow=True).content.decode()
    assert "Enrolled in Spring" in added
    again = page.post(f"/leads/{lead.pk}/sequences/", {"sequence": made.pk}, follow=True).content.decode()
    assert "Not enrolled in Spring: already in it." in again

    enrolment = Enrolment.objects.get(lead=lead)
    out = page.post(f"/sequences/enrolments/{enrolment.pk}/take-out/", follow=True).content.decode()
    assert "Taken out of Spring." in out and "Exited (Taken out by hand)" in out
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.EXITED and enrolment.exit_reason == ExitReason.REMOVED
    assert enrolment.ended_by == users["marketing"]
    assert f"Left the sequence</strong> Spring: taken out by hand by {users['marketing']}" in out  # the timeline
    twice = page.post(f"/sequences/enrolments/{enrolment.pk}/take-out/", follow=True).content.decode()
    assert "This enrolment has ended already." in twice


def test_a_salesperson_cannot_take_a_lead_out(users):
    made = sequence([EMAIL, WAIT, EMAIL], name="Spring")
    lead = prospect()
    enrolment = Enrolment.objects.create(
        sequence=made, lead=lead, stage_at_enrolment="inquiry", last_step_at=timezone.now()
    )
    assert client_for(users["sales"]).post(f"/sequences/enrolments/{enrolment.pk}/take-out/").status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ACTIVE
