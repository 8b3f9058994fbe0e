"""The scoring page: marketing tunes numbers, previews the picture, publishes and watches progress."""

import pytest
from django.test import Client

from jobs import services as job_services
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
    import re

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
    assert RuleSet.objects.get(status="draft").definition["rules"][0]["points"] == 50


def test_json_editor_refuses_broken_json(browser):
    response = browser.post("/scoring/draft/json/", {"definition": "{not json"})
    assert response.status_code == 400 and "Not valid JSON" in response.content.decode()


def test_preview_draws_the_histogram_and_publish_shows_progress(browser):
    LeadFactory.create_batch(2)
    preview = browser.post("/scoring/preview/", HTTP_HX_REQUEST="true")
    assert preview.status_code == 200 and b"<svg" in preview.content and b"2</strong> leads scored" in preview.content
    published = browser.post("/scoring/publish/", HTTP_HX_REQUEST="true")
    assert published.status_code == 200 and b'hx-trigger="every 1s"' in published.content
    assert RuleSet.objects.get(status="published").version == 2


def test_csrs_cannot_open_the_scoring_page(users):
    client = Client()
    client.login(username="csr1", password=DEMO_PASSWORD)
    assert client.get("/scoring/").status_code == 403
