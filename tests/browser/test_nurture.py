"""A nurture sequence in a real browser: marketing builds a three-step sequence with a branch,
starts it, enrols two leads from the lead list, the first e-mail reaches the outbox, and following
its unsubscribe link stops the sequence for that lead."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from nurture import engine, services
from nurture.models import Enrolment, EnrolmentStatus, ExitReason, Sequence, SequenceStatus
from outbox.models import Email
from tests.browser.steps import log_in, open_from_marketing_menu
from tests.factories import ContactFactory, LeadFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_worker(monkeypatch):
    """No Celery worker runs beside the browser tests: the enrolment's "advance now" is noted
    instead of queued (a message nobody takes would wait in Redis for a later test's worker),
    and the test runs the step sweep itself."""
    asked = []
    monkeypatch.setattr(services, "start_sweep", lambda: asked.append(True))
    return asked


def step(page: Page, number: int):
    return page.get_by_test_id("step-row").nth(number - 1)


def test_marketing_builds_a_sequence_enrols_from_the_list_and_an_unsubscribe_stops_it(
    live_server, page: Page, settings, no_worker
):
    settings.CRM_NURTURE_QUIET_HOURS = (0, 0)  # the e-mail goes whatever the hour the test runs
    make_user("marketer", "marketing")
    ann = LeadFactory(contact=ContactFactory(first_name="Ann", last_name="Keel", consent=True))
    bob = LeadFactory(contact=ContactFactory(first_name="Bob", last_name="Marsh", consent=True))
    LeadFactory(contact=ContactFactory(first_name="Cy", last_name="Stone", consent=True))  # not ticked

    log_in(page, live_server, "marketer")
    open_from_marketing_menu(page, "Sequences")
    page.get_by_role("link", name="New sequence").click()
    page.get_by_label("Name", exact=True).fill("Spring warm-up")
    step(page, 1).get_by_label("What this step does").select_option("email")
    step(page, 1).get_by_label("Subject").fill("Still thinking it over, {{ first_name }}?")
    step(page, 1).get_by_label("Text", exact=True).fill(
        "Dear {{ first_name }},\n\nOur spring tune-up: https://www.example.com/spring"
    )
    expect(step(page, 1).get_by_label("Days (counted from when the step before was done)")).to_be_hidden()
    step(page, 2).get_by_label("What this step does").select_option("wait")
    step(page, 2).get_by_label("Days (counted from when the step before was done)").fill("2")
    step(page, 3).get_by_label("What this step does").select_option("branch")
    step(page, 3).get_by_label("If, since the last e-mail, letter or call, they").select_option("opened")
    step(page, 3).get_by_label("Then go to").fill("next")
    step(page, 3).get_by_label("Else go to").fill("end")
    expect(step(page, 3).locator("legend").first).to_have_text("Step 3")
    page.get_by_role("button", name="Save the sequence").click()

    expect(page.get_by_role("status")).to_contain_text("Sequence “Spring warm-up” saved.")
    steps = page.get_by_test_id("sequence-steps")
    expect(steps).to_contain_text("E-mail “Still thinking it over, {{ first_name }}?”")
    expect(steps).to_contain_text("Wait 2 days")
    expect(steps).to_contain_text("If opened")
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_test_id("sequence-status")).to_have_text("Active")
    sequence = Sequence.objects.get(name="Spring warm-up")
    assert sequence.status == SequenceStatus.ACTIVE and [s["kind"] for s in sequence.steps] == [
        "email",
        "wait",
        "branch",
    ]

    page.get_by_role("link", name="Leads", exact=True).click()
    page.get_by_label("Tick Ann Keel").check()
    page.get_by_label("Tick Bob Marsh").check()
    page.get_by_label("Add the ticked leads to the sequence").select_option(label="Spring warm-up")
    page.get_by_role("button", name="Add to sequence").click()

    expect(page.get_by_text("2 leads enrolled in Spring warm-up; 0 skipped.")).to_be_visible()
    assert set(Enrolment.objects.filter(sequence=sequence).values_list("lead_id", flat=True)) == {ann.pk, bob.pk}
    assert no_worker  # the enrolment asked for the steps to be done at once

    while engine.advance_due():  # what the worker would do now
        pass
    email = Email.objects.get(to_address=ann.contact.email)
    assert email.subject == "Still thinking it over, Ann?"
    assert Email.objects.filter(to_address=bob.contact.email).count() == 1
    assert email.unsubscribe_url.startswith(settings.CRM_BASE_URL)

    unsubscribe = urlsplit(email.unsubscribe_url).path  # the live server's address differs from CRM_BASE_URL
    page.goto(f"{live_server.url}{unsubscribe}")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()

    enrolment = Enrolment.objects.get(sequence=sequence, lead=ann)
    assert enrolment.status == EnrolmentStatus.EXITED and enrolment.exit_reason == ExitReason.UNSUBSCRIBED
    ann.contact.refresh_from_db()
    assert ann.contact.consent is False
    assert Enrolment.objects.get(sequence=sequence, lead=bob).status == EnrolmentStatus.ACTIVE

    page.goto(f"{live_server.url}/leads/{ann.pk}/")  # still signed in
    panel = page.get_by_test_id("lead-sequences")
    expect(panel.get_by_test_id("enrolment")).to_contain_text("Spring warm-up")
    expect(panel.get_by_test_id("enrolment-status")).to_have_text("Exited (Unsubscribed)")
    expect(page).to_have_url(re.compile(rf"/leads/{ann.pk}/$"))


def test_the_builders_rows_move_and_go_and_a_branch_keeps_pointing_at_its_step(live_server, page: Page):
    make_user("marketer", "marketing")
    log_in(page, live_server, "marketer")
    page.goto(f"{live_server.url}/sequences/new/")
    page.get_by_label("Name", exact=True).fill("Moved about")
    kinds = ["email", "wait", "branch", "call", "email"]
    for number, kind in enumerate(kinds, start=1):
        step(page, number).get_by_label("What this step does").select_option(kind)
    for number, subject in ((1, "First"), (5, "Second")):
        step(page, number).get_by_label("Subject").fill(subject)
        step(page, number).get_by_label("Text", exact=True).fill("Hello {{ first_name }}")
    step(page, 2).get_by_label("Days (counted from when the step before was done)").fill("3")
    condition = step(page, 3).get_by_label("If, since the last e-mail, letter or call, they")
    value = step(page, 3).get_by_label("Value (a score from 0 to 100, or a stage)")
    condition.select_option("score_at_least")
    expect(value).to_be_visible()  # asked only of a score or a stage
    condition.select_option("clicked")
    expect(value).to_be_hidden()
    step(page, 3).get_by_label("Then go to").fill("5")
    step(page, 4).get_by_label("What to say (the caller's script)").fill("Ask about the quote")

    step(page, 5).get_by_role("button", name="Move up").click()  # the second e-mail before the call
    expect(step(page, 3).get_by_label("Then go to")).to_have_value("4")  # it follows its step
    expect(step(page, 4).locator("legend").first).to_have_text("Step 4")
    expect(step(page, 4).get_by_label("Subject")).to_have_value("Second")
    step(page, 5).get_by_role("button", name="Remove").click()  # the call
    expect(page.get_by_test_id("step-row")).to_have_count(4)
    page.get_by_role("button", name="Add a step").click()
    expect(page.get_by_test_id("step-row")).to_have_count(5)
    expect(step(page, 5).locator("legend").first).to_have_text("New step")
    page.get_by_role("button", name="Save the sequence").click()

    expect(page.get_by_role("status")).to_contain_text("Sequence “Moved about” saved.")
    saved = Sequence.objects.get(name="Moved about")
    assert [s["kind"] for s in saved.steps] == ["email", "wait", "branch", "email"]
    assert saved.steps[2]["then"] == saved.steps[3]["key"] and saved.steps[3]["subject"] == "Second"
    expect(page.get_by_test_id("sequence-steps")).to_contain_text("then step 4, else the end")
