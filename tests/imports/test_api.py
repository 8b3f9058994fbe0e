"""POST /api/v1/imports/ and GET /api/v1/imports/{id}/ as CONTRACT "Imports and data rights"
says, with every bad input answered 4xx and nothing kept."""

import json

import pytest

from crm.models import Contact
from imports import services
from imports.models import ImportRun
from leads.models import Lead
from tests.imports.conftest import rows, run_to_end, upload

pytestmark = pytest.mark.django_db

GOOD = rows("Ann,Lee,ann@example.com,,Acme,Owner", "Bob,Ray,nope,,,", "Ann,Lee,ann@example.com,,,")


def post(client, text=GOOD, **fields):
    body = {"list_name": "Spring list", "vendor": "ListCo", "price": "900", "mode": "valid_rows", "duplicates": "skip"}
    body.update(fields)
    if "file" not in body:
        body["file"] = upload(text)
    body = {k: v for k, v in body.items() if v is not None}
    return client.post("/api/v1/imports/", body, format="multipart")


def nothing_kept():
    return (
        not ImportRun.objects.exists() and not list(services.uploads_dir().glob("*")) and not Contact.objects.exists()
    )


def test_an_import_is_accepted_and_its_progress_and_result_read_as_the_contract_says(users, api_as):
    client = api_as(users["marketing"])
    started = post(client)
    assert started.status_code == 202, started.content
    body = started.json()
    assert body["status"] == "queued" and isinstance(body["id"], int)
    run_to_end(ImportRun.objects.get(pk=body["id"]))
    result = client.get(f"/api/v1/imports/{body['id']}/").json()
    for key in ("id", "status", "total", "processed", "created", "updated", "duplicates", "rejected", "errors"):
        assert key in result
    assert {k: result[k] for k in ("status", "total", "processed", "created", "updated", "duplicates", "rejected")} == {
        "status": "done",
        "total": 3,
        "processed": 3,
        "created": 1,
        "updated": 0,
        "duplicates": 1,
        "rejected": 1,
    }
    assert result["errors"] == [{"line": 3, "column": "E-mail", "message": "Enter a valid e-mail address."}]
    assert result["errors_csv"].endswith(f"/api/v1/imports/{body['id']}/rejected/")
    assert result["price"] == "900.00" and result["bought_list"] is not None and result["suppressed"] == 0
    lead = Lead.objects.get()
    assert (lead.stage, lead.source, lead.bought_list_id) == ("list", "list", result["bought_list"])

    download = client.get(result["errors_csv"])
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[1] == "3,E-mail: Enter a valid e-mail address.,Bob,Ray,nope,,,"
    assert [row["id"] for row in client.get("/api/v1/imports/").json()["results"]] == [body["id"]]


def test_all_or_nothing_with_errors_reads_failed_and_says_nothing_was_imported(users, api_as):
    client = api_as(users["manager"])
    started = post(client, mode="all_or_nothing").json()
    run_to_end(ImportRun.objects.get(pk=started["id"]))
    result = client.get(f"/api/v1/imports/{started['id']}/").json()
    assert (result["status"], result["created"], result["rejected"], result["processed"]) == ("failed", 0, 1, 3)
    assert "Nothing was imported" in result["detail"] and result["bought_list"] is None
    assert not Contact.objects.exists()


def test_a_mapping_can_be_given_as_json(users, api_as):
    client = api_as(users["marketing"])
    text = "Who,Reach\nAnn Lee,ann@example.com\n"
    started = post(client, text, mapping=json.dumps({"Who": "full_name", "Reach": "email"}))
    assert started.status_code == 202, started.content
    assert started.json()["mapping"] == {"Who": "full_name", "Reach": "email"}
    run_to_end(ImportRun.objects.get(pk=started.json()["id"]))
    assert Contact.objects.get().last_name == "Lee"


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"file": None}, "file"),
        ({"list_name": ""}, "list_name"),
        ({"mode": "most"}, "mode"),
        ({"mode": None}, "mode"),
        ({"duplicates": "merge"}, "duplicates"),
        ({"price": "cheap"}, "price"),
        ({"mapping": "{not json"}, "mapping"),
        ({"mapping": '["email"]'}, "mapping"),
        ({"mapping": '{"Nope": "email"}'}, "mapping"),
        ({"mapping": '{"E-mail": "shoe_size"}'}, "mapping"),
        ({"encoding": "ebcdic"}, "encoding"),
    ],
)
def test_bad_fields_are_400_with_the_field_named_and_nothing_kept(fields, field, users, api_as):
    response = post(api_as(users["marketing"]), **fields)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert nothing_kept()


@pytest.mark.parametrize(
    "data,says",
    [
        (b"", "empty"),
        (b"First name,E-mail\n", "header but no rows"),
        (b"PK\x03\x04" + b"\x00" * 200, "workbook"),
        (bytes(range(256)) * 10, "binary"),
        (b"First name,Last name\nAnn,Lee\n", "E-mail or to Phone"),  # a missing required column
    ],
)
def test_a_file_that_cannot_be_read_is_400_and_nothing_kept(data, says, users, api_as):
    response = post(api_as(users["marketing"]), file=upload(data))
    assert response.status_code == 400, response.content
    assert says in json.dumps(response.json())
    assert nothing_kept()


def test_a_file_over_the_size_limit_is_413_and_nothing_kept(users, api_as, settings):
    settings.CRM_IMPORT_MAX_BYTES = 100
    response = post(api_as(users["marketing"]), rows(*["Ann,Lee,ann@example.com,,,"] * 10))
    assert response.status_code == 413, response.content
    assert "larger than" in response.json()["detail"]
    assert nothing_kept()


@pytest.mark.parametrize("role,expected", [("csr", 403), ("sales", 403), ("nobody", 403), ("anonymous", 401)])
def test_only_marketing_and_managers_import(role, expected, users, api_as):
    client = api_as(None if role == "anonymous" else users[role])
    assert post(client).status_code == expected
    assert client.get("/api/v1/imports/").status_code == expected
    assert nothing_kept()


def test_a_draft_and_an_unfinished_import_show_no_file(users, api_as):
    client = api_as(users["marketing"])
    draft = services.create_draft(upload=upload(GOOD), list_name="Draft")
    assert client.get(f"/api/v1/imports/{draft.pk}/").status_code == 404  # the browser's, not yet an import
    started = post(client).json()
    assert started["errors_csv"] is None
    assert client.get(f"/api/v1/imports/{started['id']}/rejected/").status_code == 404
    assert client.get("/api/v1/imports/99999999/").status_code == 404


def test_an_oversized_upload_is_dropped_as_it_streams_in_and_the_other_fields_still_arrive(settings):
    from django.test import RequestFactory

    settings.CRM_IMPORT_MAX_BYTES = 1000
    request = RequestFactory().post("/imports/", {"file": upload("E-mail\n" + "a@example.com\n" * 200), "x": "kept"})
    assert request.POST["x"] == "kept"
    assert "file" not in request.FILES and request.upload_too_large is True
