"""The scoring API as marketing's tools use it (CONTRACT "Scoring")."""

import pytest

from jobs import services as job_services
from jobs.models import Job
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(job_services, "enqueue_job", lambda job_id: None)


@pytest.fixture
def marketing(users, api_as):
    return api_as(users["marketing"])


def test_get_draft_then_put_a_change(marketing):
    draft = marketing.get("/api/v1/scoring/draft/").json()
    assert draft["status"] == "draft" and draft["version"] == 2
    draft["thresholds"]["hot"] = 75
    body = {k: draft[k] for k in ("rules", "questions", "profile", "decay", "thresholds")} | {"note": "hotter"}
    saved = marketing.put("/api/v1/scoring/draft/", body, format="json")
    assert saved.status_code == 200 and saved.json()["thresholds"]["hot"] == 75 and saved.json()["note"] == "hotter"
    assert marketing.get("/api/v1/scoring/rules/").json()["thresholds"]["hot"] == 70  # published untouched


@pytest.mark.parametrize(
    "change,where",
    [
        ({"thresholds": {"hot": 30, "warm": 40, "sales_ready": 50}}, "thresholds.warm"),
        ({"rules": [{"key": "x", "label": "X", "kind": "teleport", "points": 5}]}, "rules[0].kind"),
        ({"rules": [{"key": "x", "label": "X", "kind": "note", "points": 101}]}, "rules[0].points"),
        ({"rules": "all of them"}, "rules"),
    ],
)
def test_bad_drafts_get_field_errors_and_change_nothing(marketing, change, where):
    draft = marketing.get("/api/v1/scoring/draft/").json()
    body = {k: draft[k] for k in ("rules", "questions", "profile", "decay", "thresholds")} | change
    response = marketing.put("/api/v1/scoring/draft/", body, format="json")
    assert response.status_code == 400 and where in response.json(), response.json()
    assert marketing.get("/api/v1/scoring/draft/").json()["rules"] == draft["rules"]


def put_draft(client, **thresholds):
    """Save the draft with other thresholds; returns the draft as the API answers it."""
    draft = client.get("/api/v1/scoring/draft/").json()
    body = {k: draft[k] for k in ("rules", "questions", "profile", "decay", "thresholds")}
    body["thresholds"] |= thresholds
    response = client.put("/api/v1/scoring/draft/", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_preview_and_publish_and_watch_the_job(marketing):
    LeadFactory.create_batch(3)
    put_draft(marketing, hot=75)
    preview = marketing.post("/api/v1/scoring/preview/")
    assert preview.status_code == 200 and preview.json()["leads"] == 3
    published = marketing.post("/api/v1/scoring/publish/")
    assert published.status_code == 202
    job = published.json()["job"]
    assert published.json()["version"] == 2 and job["status"] == "queued" and job["total"] == 3
    job_services.run_job(job["id"])
    progress = marketing.get(f"/api/v1/jobs/{job['id']}/").json()
    assert (progress["status"], progress["done"], progress["progress"]) == ("done", 3, 1.0)
    assert marketing.get("/api/v1/scoring/rules/").json()["version"] == 2


def test_publish_without_a_draft_is_400(marketing):
    marketing.delete("/api/v1/scoring/draft/")
    assert marketing.post("/api/v1/scoring/publish/").status_code == 400
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    "role,expected", [("csr", 403), ("sales", 403), ("marketing", 200), ("manager", 200), ("nobody", 403)]
)
def test_only_marketing_and_managers_edit_rules(role, expected, users, api_as):
    client = api_as(users[role])
    assert client.get("/api/v1/scoring/draft/").status_code == expected
    assert client.post("/api/v1/scoring/preview/").status_code == expected


@pytest.mark.parametrize("role,expected", [("csr", 200), ("sales", 200), ("nobody", 403)])
def test_staff_can_watch_jobs(role, expected, users, api_as):
    job = Job.objects.create(params={"version": 1})
    assert api_as(users[role]).get(f"/api/v1/jobs/{job.pk}/").status_code == expected


def test_unknown_job_is_404(marketing):
    assert marketing.get("/api/v1/jobs/424242/").status_code == 404


def test_publishing_an_unchanged_draft_is_409_and_starts_nothing(marketing):
    marketing.get("/api/v1/scoring/draft/")
    response = marketing.post("/api/v1/scoring/publish/")
    assert response.status_code == 409 and "same rules as the published version 1" in response.json()["detail"]
    assert not Job.objects.exists()


def test_publishing_a_version_that_is_no_longer_the_draft_is_409(marketing):
    put_draft(marketing, hot=75)
    assert marketing.post("/api/v1/scoring/publish/", {"version": 2}, format="json").status_code == 202
    again = marketing.post("/api/v1/scoring/publish/", {"version": 2}, format="json")
    assert again.status_code == 409 and again.json() == {
        "detail": "Version 2 is already published: nothing more to publish."
    }
    assert marketing.post("/api/v1/scoring/publish/", {"version": "two"}, format="json").status_code == 400


def test_the_preview_names_the_leads_that_would_move_most(marketing):
    from leads.services import log_interaction

    leads = LeadFactory.create_batch(3)
    for lead in leads:
        log_interaction(lead_id=lead.pk, kind="email_open")
    log_interaction(lead_id=leads[1].pk, kind="call_inbound")
    draft = marketing.get("/api/v1/scoring/draft/").json()
    draft["rules"][0].update(points=70, cap=70)  # inbound calls: 50 → 70
    body = {k: draft[k] for k in ("rules", "questions", "profile", "decay", "thresholds")}
    marketing.put("/api/v1/scoring/draft/", body, format="json")
    preview = marketing.post("/api/v1/scoring/preview/").json()
    assert preview["stages"] == {"to_sales_ready": 0, "back_to_inquiry": 0, "owned_no_longer_ready": 0}
    [mover] = preview["movers"]
    assert mover == {
        "lead": leads[1].pk,
        "name": str(leads[1].contact),
        "stage": "inquiry",
        "stage_label": "Inquiry",
        "owner": None,
        "before": {"score": 52, "temperature": "warm"},
        "after": {"score": 72, "temperature": "hot"},
        "change": 20,
    }


def test_versions_list_diff_and_restore(marketing, users):
    put_draft(marketing, sales_ready=55)
    marketing.post("/api/v1/scoring/publish/")
    versions = marketing.get("/api/v1/scoring/versions/").json()
    assert [(v["version"], v["status"], v["published_by"]) for v in versions] == [
        (2, "published", "marketing1"),
        (1, "retired", None),
    ]
    assert marketing.get("/api/v1/scoring/versions/1/").json()["thresholds"]["sales_ready"] == 60
    diff = marketing.get("/api/v1/scoring/versions/1/diff/2/").json()
    assert diff["from"] == 1 and diff["to"] == 2 and diff["changes"] == 1
    [section] = diff["sections"]
    assert section["key"] == "thresholds"
    assert section["changed"][0]["changes"] == [
        {"field": "sales_ready", "before": 60, "after": 55, "text": "Sales-ready from 60 → 55"}
    ]
    restored = marketing.post("/api/v1/scoring/versions/1/restore/", {"note": "back to 60"}, format="json")
    assert restored.status_code == 202, restored.json()
    assert restored.json()["version"] == 3 and restored.json()["restored_from"] == 1
    assert restored.json()["job"]["status"] == "queued"
    rules = marketing.get("/api/v1/scoring/rules/").json()
    assert rules["version"] == 3 and rules["note"] == "back to 60" and rules["thresholds"]["sales_ready"] == 60


@pytest.mark.parametrize(
    "url", ["/api/v1/scoring/versions/9/", "/api/v1/scoring/versions/1/diff/9/", "/api/v1/scoring/versions/9/restore/"]
)
def test_unknown_versions_are_404(marketing, url):
    response = marketing.post(url) if url.endswith("restore/") else marketing.get(url)
    assert response.status_code == 404


def test_restoring_over_draft_edits_or_the_published_version_is_409(marketing):
    put_draft(marketing, sales_ready=55)
    marketing.post("/api/v1/scoring/publish/")
    assert marketing.post("/api/v1/scoring/versions/2/restore/").status_code == 409
    put_draft(marketing, warm=35)
    response = marketing.post("/api/v1/scoring/versions/1/restore/")
    assert response.status_code == 409 and "has edits that are not published" in response.json()["detail"]
    assert marketing.get("/api/v1/scoring/rules/").json()["version"] == 2


@pytest.mark.parametrize("role,expected", [("csr", 403), ("sales", 403), ("manager", 200), ("nobody", 403)])
def test_only_marketing_and_managers_read_the_history(role, expected, users, api_as):
    client = api_as(users[role])
    assert client.get("/api/v1/scoring/versions/").status_code == expected
    assert client.get("/api/v1/scoring/versions/1/diff/1/").status_code == expected
    if expected == 403:
        assert client.post("/api/v1/scoring/versions/1/restore/").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/scoring/versions/99999999999999999999/",
        "/api/v1/scoring/versions/1/diff/99999999999999999999/",
        "/api/v1/scoring/versions/99999999999999999999/restore/",
    ],
)
def test_a_version_number_too_big_for_any_database_is_not_found(api_as, users, url):
    client = api_as(users["marketing"])
    response = client.post(url, {}, format="json") if url.endswith("restore/") else client.get(url)
    assert response.status_code == 404
