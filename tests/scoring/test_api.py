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


def test_preview_and_publish_and_watch_the_job(marketing):
    LeadFactory.create_batch(3)
    marketing.get("/api/v1/scoring/draft/")
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
