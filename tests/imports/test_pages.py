"""The import page: upload, map, preview, start (once), progress and result, for marketing
and managers; field errors for every bad input, and nothing changed by them."""

import re

import pytest
from django.db import DatabaseError

from crm.models import Contact
from imports import services
from imports.models import ImportRun, Phase
from jobs.models import Job
from tests.factories import ContactFactory, signed_in_client
from tests.imports.conftest import rows, run_to_end, upload

pytestmark = pytest.mark.django_db

TEXT = rows("Ann,Lee,ann@example.com,,Acme,Owner", "Bob,Ray,nope,,,", "Cy,Diaz,cy@example.com,,,")


@pytest.fixture
def marketer(users):
    return signed_in_client(users["marketing"])


def upload_draft(client, text=TEXT, **fields) -> ImportRun:
    response = client.post(
        "/imports/",
        {"file": upload(text), "list_name": "Spring", "vendor": "ListCo", "price": "$1,200", **fields},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportRun.objects.get(pk=int(re.search(r"/imports/(\d+)/", response["Location"]).group(1)))


def mapping_post(run, **extra):
    data = {f"col_{i}": key for i, key in enumerate(run.mapping)}
    data.update({"mode": "valid_rows", "duplicates": "skip", "submission": "token-1"})
    data.update(extra)
    return data


def test_upload_map_preview_and_start_an_import(marketer):
    page = marketer.get("/imports/")
    assert page.status_code == 200 and b"Upload and map the columns" in page.content
    run = upload_draft(marketer)
    assert run.phase == Phase.DRAFT and str(run.price) == "1200.00"
    mapping = marketer.get(f"/imports/{run.pk}/").content.decode()
    assert "UTF-8" in mapping and "commas" in mapping
    assert 'option value="email" selected' in mapping  # guessed from "E-mail"
    assert "New contact" in mapping and "Enter a valid e-mail address." in mapping  # the preview

    changed = marketer.post(f"/imports/{run.pk}/preview/", {**mapping_post(run), "col_2": ""}, HTTP_HX_REQUEST="true")
    assert "Give an e-mail address or a phone number." in changed.content.decode()  # the preview follows the form

    started = marketer.post(f"/imports/{run.pk}/start/", mapping_post(run))
    assert started.status_code == 302
    again = marketer.post(f"/imports/{run.pk}/start/", mapping_post(run))  # a double click
    assert again.status_code == 302 and Job.objects.filter(kind="import").count() == 1
    run = run_to_end(ImportRun.objects.get(pk=run.pk))
    result = marketer.get(f"/imports/{run.pk}/").content.decode()
    assert "Imported: 2 created" in result and "Download the 1 rejected row as CSV" in result
    partial = marketer.get(f"/imports/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert (
        partial.lstrip().startswith('<div id="import-result"') and "hx-trigger" not in partial
    )  # done: no more polling
    download = marketer.get(f"/imports/{run.pk}/rejected.csv")
    assert download.status_code == 200 and b"nope" in b"".join(download.streaming_content)
    assert "Spring" in marketer.get("/imports/").content.decode()


def test_the_preview_page_finds_people_already_known_by_email_and_by_phone(marketer):
    """On every engine (SQLite refused the UNION this page once made: a 500 on every visit)."""
    by_email = ContactFactory(first_name="Ann", email="ann@example.com", phone="")
    by_phone = ContactFactory(first_name="Bob", email="", phone="+15550100002")
    text = rows(
        "Ann,Lee,ANN@example.com,,,",
        "Bob,Ray,bob@example.com,(555) 010-0002,,",
        "Cy,Diaz,cy@example.com,,,",
        "Cy,Again,cy@example.com,,,",
    )
    run = upload_draft(marketer, text)
    page = marketer.get(f"/imports/{run.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("Already known") == 3 and html.count("New contact") == 1
    assert f"(contact #{by_email.pk})" in html and f"(contact #{by_phone.pk})" in html
    assert "(an earlier row)" in html
    changed = marketer.post(f"/imports/{run.pk}/preview/", mapping_post(run), HTTP_HX_REQUEST="true")
    assert changed.status_code == 200 and changed.content.decode().count("Already known") == 3


def test_the_page_says_which_lines_are_not_in_the_files_encoding_before_anything_starts(marketer):
    data = (
        b"First name,Last name,E-mail\n"
        + "José,Pérez,jose@example.com\n".encode()
        + "René,Noël,rene@example.com\n".encode("cp1252")
    )
    run = upload_draft(marketer, data)
    html = marketer.get(f"/imports/{run.pk}/").content.decode()
    assert 'data-testid="detected-encoding">UTF-8<' in html
    assert "1 line of this file is not UTF-8 text (the first: line 3)" in html
    assert "José" in html and "Line 3 is not UTF-8 text" in html and "JosÃ©" not in html  # the preview
    marketer.post(f"/imports/{run.pk}/reading/", {"encoding": "cp1252", "delimiter": ","})
    html = marketer.get(f"/imports/{run.pk}/").content.decode()
    assert "1 line of this file is not Windows-1252 text (the first: line 2)" in html
    assert "René" in html and "JosÃ©" not in html


def test_a_draft_whose_preview_fails_still_opens_and_can_be_discarded(marketer, monkeypatch):
    """A draft must never be stuck behind a 500: the page says the preview failed and keeps
    the ways out (read it another way, discard)."""
    run = upload_draft(marketer)

    def broken(*args, **kwargs):
        raise DatabaseError("ORDER BY not allowed in subqueries of compound statements.")

    monkeypatch.setattr(services, "preview", broken)
    page = marketer.get(f"/imports/{run.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "The preview of this file could not be made" in html and "ORDER BY" not in html
    assert f'action="/imports/{run.pk}/discard/"' in html and f'action="/imports/{run.pk}/reading/"' in html
    partial = marketer.post(f"/imports/{run.pk}/preview/", mapping_post(run), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "could not be made" in partial.content.decode()
    assert marketer.post(f"/imports/{run.pk}/discard/").status_code == 302
    assert not ImportRun.objects.exists() and not list(services.uploads_dir().glob("*"))


def test_the_upload_form_shows_each_error_beside_its_field_and_keeps_nothing(marketer):
    response = marketer.post("/imports/", {"list_name": "", "price": "lots"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_file_error"' in html and 'id="id_list_name_error"' in html
    for data, says in [
        (b"", "empty"),
        (b"\n \n", "The file is empty."),
        (b"First name,E-mail\n", "The file has a header but no rows."),
        (b"\x00\x01\x02binary" * 50, "binary data"),
    ]:
        response = marketer.post("/imports/", {"file": upload(data), "list_name": "X"})
        assert response.status_code == 400 and says in response.content.decode()
    response = marketer.post("/imports/", {"file": upload(TEXT), "list_name": "X", "price": "-5"})
    assert response.status_code == 400 and 'id="id_price_error"' in response.content.decode()
    assert not ImportRun.objects.exists() and not list(services.uploads_dir().glob("*"))


def test_a_file_over_the_limit_is_refused_on_its_field(marketer, settings):
    settings.CRM_IMPORT_MAX_BYTES = 50
    response = marketer.post("/imports/", {"file": upload(TEXT), "list_name": "Big"})
    assert response.status_code == 413
    assert "larger than" in response.content.decode() and 'id="id_file_error"' in response.content.decode()
    assert not ImportRun.objects.exists() and not list(services.uploads_dir().glob("*"))


def test_starting_without_choices_or_an_email_column_shows_the_errors_and_starts_nothing(marketer):
    run = upload_draft(marketer)
    data = mapping_post(run, col_2="", col_3="")
    data.pop("mode")
    response = marketer.post(f"/imports/{run.pk}/start/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose whether errors stop the whole import." in html
    assert "Map a column to E-mail or to Phone" in html
    run.refresh_from_db()
    assert run.phase == Phase.DRAFT and run.job_id is None and not Contact.objects.exists()


def test_a_draft_can_be_read_another_way_and_discarded(marketer):
    run = upload_draft(marketer, "Name;E-mail\nAnn;ann@example.com\n")
    assert run.delimiter == ";"
    marketer.post(f"/imports/{run.pk}/reading/", {"encoding": "utf-8", "delimiter": ","})
    run.refresh_from_db()
    assert run.header == ["Name;E-mail"]
    response = marketer.post(f"/imports/{run.pk}/discard/")
    assert response.status_code == 302 and not ImportRun.objects.exists()
    assert not list(services.uploads_dir().glob("*"))


@pytest.mark.parametrize("role", ["csr", "sales"])
def test_other_roles_cannot_reach_the_import_page(role, users):
    client = signed_in_client(users[role])
    assert client.get("/imports/").status_code == 403
    assert client.post("/imports/", {"file": upload(TEXT), "list_name": "X"}).status_code == 403
    assert not ImportRun.objects.exists()


def test_the_nav_shows_import_to_marketing_and_managers_only(users):
    assert b'href="/imports/"' in signed_in_client(users["manager"]).get("/leads/").content
    assert b'href="/imports/"' not in signed_in_client(users["csr"]).get("/leads/").content
