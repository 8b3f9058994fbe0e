"""The scoring page: marketing tunes numbers, previews the picture, publishes and watches progress."""

import json
import re

import pytest
from django.test import Client

from jobs import services as job_services
from jobs.models import Job
from leads.services import log_interaction
from scoring.models import RuleSet
from tests.factories import DEMO_PASSWORD, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(job_services, "enqueue_job", lambda job_id: None)


@pytest.fixture
def browser(users):
    client = Client()
    client.login(username="marketing1", password=DEMO_PASSWORD)
    return client


def numbers(page_client):
    """Every number input of the editor with its current value, as the browser would post it."""
    html = page_client.get("/scoring/").content.decode()
    return dict(re.findall(r'type="number" name="([^"]+)" value="([^"]*)"', html))


def test_marketing_changes_a_number_and_the_draft_keeps_it(browser):
    form = numbers(browser)
    assert form["rules[0].points"] == "50"
    form["rules[0].points"], form["rules[0].cap"] = "60", "60"
    response = browser.post("/scoring/draft/", form | {"note": "calls matter more"})
    assert response.status_code == 302
    draft = RuleSet.objects.get(status="draft")
    assert draft.definition["rules"][0]["points"] == 60 and draft.note == "calls matter more"


def test_bad_numbers_show_field_errors_and_save_nothing(browser):
    form = numbers(browser) | {"rules[0].points": "lots", "thresholds.warm": "90"}
    response = browser.post("/scoring/draft/", form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Must be a whole number." in html and "Warm must be below hot." in html
    assert not RuleSet.objects.filter(status="draft").exists()  # nothing saved, not even a copy


def test_json_editor_refuses_broken_json(browser):
    response = browser.post("/scoring/draft/json/", {"definition": "{not json"})
    assert response.status_code == 400 and "Not valid JSON" in response.content.decode()


def test_preview_draws_the_histogram_and_publish_shows_progress(browser):
    LeadFactory.create_batch(2)
    form = numbers(browser) | {"rules[0].points": "60", "rules[0].cap": "60"}
    browser.post("/scoring/draft/", form)
    preview = browser.post("/scoring/preview/", HTTP_HX_REQUEST="true")
    assert preview.status_code == 200 and b"<svg" in preview.content and b"2</strong> leads scored" in preview.content
    published = browser.post("/scoring/publish/", {"version": "2"}, HTTP_HX_REQUEST="true")
    assert published.status_code == 200 and published["HX-Redirect"] == "/scoring/"
    assert RuleSet.objects.get(status="published").version == 2
    page = browser.get("/scoring/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "Rescore for version 2" in page
    # Under the publish's message at the top, not 1,700 px down below the editor.
    assert page.index('data-testid="job"') < page.index('id="rule-editor"') < page.index('id="publish-heading"')


def test_csrs_cannot_open_the_scoring_page(users):
    client = Client()
    client.login(username="csr1", password=DEMO_PASSWORD)
    assert client.get("/scoring/").status_code == 403


# --- Preview uses what is in the form ----------------------------------------------------------


def test_preview_scores_the_numbers_in_the_form_without_saving_them_and_says_so(browser):
    lead = LeadFactory()
    log_interaction(lead_id=lead.pk, kind="call_inbound")  # 50 under the published rules
    form = numbers(browser) | {"rules[0].points": "75", "rules[0].cap": "75"}  # typed, not saved
    response = browser.post("/scoring/preview/", form, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html  # a partial, not a page
    assert "with 2 edits not saved yet" in html and "Called us with an inquiry: points +50 → +75" in html
    assert "1</strong> would change score" in html
    assert f'href="/leads/{lead.pk}/"' in html and "50 → <strong>75</strong>" in html  # the top mover
    assert not RuleSet.objects.filter(status="draft").exists()  # nothing saved


def test_preview_of_the_saved_draft_says_it_is_the_saved_draft(browser):
    response = browser.post("/scoring/preview/", numbers(browser), HTTP_HX_REQUEST="true")
    assert "Previewed <strong>the saved draft, version 2</strong>" in response.content.decode()


def test_preview_of_bad_numbers_marks_the_fields_and_saves_nothing(browser):
    form = numbers(browser) | {"rules[0].points": "lots"}
    response = browser.post("/scoring/preview/", form, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx
    assert "Could not preview" in html and "Called us with an inquiry points: Must be a whole number." in html
    assert 'id="rule-editor" hx-swap-oob="true"' in html and 'aria-invalid="true"' in html
    plain = browser.post("/scoring/preview/", form)
    assert plain.status_code == 400 and b"Nothing was previewed or saved" in plain.content
    assert not RuleSet.objects.filter(status="draft").exists()


def test_preview_of_the_json_editor_previews_that_json(browser):
    definition = RuleSet.objects.get(status="published").definition | {
        "thresholds": {"hot": 45, "warm": 30, "sales_ready": 60}
    }
    lead = LeadFactory()
    log_interaction(lead_id=lead.pk, kind="call_inbound")  # 50: warm now, hot from 45
    response = browser.post("/scoring/preview/", {"definition": json.dumps(definition)}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "the rules in the JSON editor" in html and "Hot from 70 → 45" in html
    assert "1 from <span" in html and 'class="temp hot"' in html


# --- Publishing ---------------------------------------------------------------------------------


def test_after_publishing_the_page_shows_the_new_version_and_offers_no_publish_of_the_same_rules(browser):
    browser.post("/scoring/draft/", numbers(browser) | {"thresholds.hot": "75"})
    response = browser.post("/scoring/publish/", {"version": "2"}, follow=True)
    html = response.content.decode()
    assert "Rules version 2 published" in html and "Published: <strong>version 2</strong>" in html
    assert "draft, version 3" in html and "same rules as the published version 2" in html
    assert re.search(r'<button type="submit" class="primary" disabled[^>]*>Publish version 3</button>', html)


def test_a_second_click_on_publish_is_refused_and_publishes_nothing(browser):
    browser.post("/scoring/draft/", numbers(browser) | {"thresholds.hot": "75"})
    browser.post("/scoring/publish/", {"version": "2"}, HTTP_HX_REQUEST="true")
    browser.get("/scoring/")  # shows version 3, a copy of version 2, without writing it
    again = browser.post("/scoring/publish/", {"version": "2"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and again["HX-Redirect"] == "/scoring/" and not again.content
    assert "Version 2 is already published" in browser.get("/scoring/").content.decode()
    assert list(RuleSet.objects.values_list("version", "status")) == [(2, "published"), (1, "retired")]
    assert Job.objects.count() == 1


def test_opening_the_scoring_page_writes_nothing(browser):
    before = list(RuleSet.objects.values_list("version", "status", "definition"))
    html = browser.get("/scoring/").content.decode()
    assert "version 2" in html  # the draft it offers to start, not yet written
    assert list(RuleSet.objects.values_list("version", "status", "definition")) == before


def test_publishing_a_draft_with_the_published_rules_is_refused(browser):
    browser.post("/scoring/draft/", numbers(browser))  # saved, unchanged
    response = browser.post("/scoring/publish/", {"version": "2"}, follow=True)
    assert "same rules as the published version 1" in response.content.decode()
    assert RuleSet.objects.get(status="published").version == 1 and not Job.objects.exists()


# --- The JSON editor's errors -------------------------------------------------------------------


def test_a_json_error_opens_the_json_editor_and_is_announced_at_the_top(browser):
    response = browser.post("/scoring/draft/json/", {"definition": '{"rules": "nope", "thresholds": {}}'})
    html = response.content.decode()
    assert response.status_code == 400
    assert '<details class="card json-editor" id="json-editor" open>' in html
    top = html.index('class="errors" role="alert"')
    assert top < html.index('id="rule-editor"') and 'href="#id_definition"' in html[top : top + 300]
    assert 'aria-describedby="json-errors"' in html and "rules: Must be a list." in html


# --- History ------------------------------------------------------------------------------------


def publish_thresholds(client, note, **thresholds):
    form = numbers(client) | {f"thresholds.{name}": str(value) for name, value in thresholds.items()}
    client.post("/scoring/draft/", form | {"note": note})
    version = RuleSet.objects.get(status="draft").version
    client.post("/scoring/publish/", {"version": str(version)})
    return version


def test_history_lists_versions_with_note_and_who_and_diffs_any_two(browser, users):
    publish_thresholds(browser, "hotter sooner", hot=65)
    publish_thresholds(browser, "ready sooner", sales_ready=55)
    html = browser.get("/scoring/history/").content.decode()
    assert "hotter sooner" in html and "ready sooner" in html and "marketing1" in html
    assert "Version 2 → version 3: 1 change" in html and "Sales-ready from 60 → 55" in html  # default: last step
    wide = browser.get("/scoring/history/?a=1&b=3").content.decode()
    assert "Hot from 70 → 65" in wide and "Sales-ready from 60 → 55" in wide and "2 changes" in wide


def test_history_refuses_an_unknown_version_beside_the_field(browser):
    response = browser.get("/scoring/history/?a=1&b=99")
    html = response.content.decode()
    assert response.status_code == 400 and 'id="error_b">There is no version 99.' in html


def test_restore_publishes_the_old_rules_as_a_new_version_with_a_rescore(browser):
    publish_thresholds(browser, "hotter sooner", hot=65)
    browser.get("/scoring/")  # the fresh draft (v3) is a copy of v2: no edits of its own
    response = browser.post("/scoring/history/1/restore/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/scoring/"
    restored = RuleSet.objects.get(status="published")
    assert (restored.version, restored.restored_from, restored.note) == (3, 1, "Restored version 1")
    assert restored.definition == RuleSet.objects.get(version=1).definition
    assert Job.objects.filter(params={"version": 3}).exists()
    assert "restores v1" in browser.get("/scoring/history/").content.decode()


def test_restore_is_refused_while_the_draft_has_edits(browser):
    publish_thresholds(browser, "hotter sooner", hot=65)
    browser.post("/scoring/draft/", numbers(browser) | {"thresholds.warm": "35"})
    response = browser.post("/scoring/history/1/restore/", follow=True)
    assert "has edits that are not published" in response.content.decode()
    assert RuleSet.objects.get(status="published").version == 2
    assert RuleSet.objects.get(status="draft").definition["thresholds"]["warm"] == 35


def test_marketing_and_managers_open_the_history_and_csrs_do_not(users):
    for username, expected in (("marketing1", 200), ("manager1", 200), ("csr1", 403), ("sales1", 403)):
        client = Client()
        client.login(username=username, password=DEMO_PASSWORD)
        assert client.get("/scoring/history/").status_code == expected, username
