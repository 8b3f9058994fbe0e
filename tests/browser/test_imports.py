"""Importing a bought list in a real browser: marketing uploads a CSV with two bad rows and a
duplicate, sees the columns guessed and the preview flag each one, starts it, watches it reach
done, and reads each problem reported with its line and column, with the rejected rows as a CSV
download. On every engine: with PostgreSQL and Redis a real Celery worker runs the job; on the
embedded default (SQLite, where this page once answered 500) the test database lives in this
process's memory, which no worker process can open, so the job's task runs in the server as
soon as it is sent (Celery's eager mode), through the same task and services."""

import csv
import io
import os
import re

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from crm.models import Contact
from imports.models import ImportRun
from leads.models import Lead
from tests.browser.steps import log_in, open_from_marketing_menu
from tests.browser.test_accessibility import violations
from tests.factories import ContactFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST = """First Name,Last Name,Email,Phone,Company,Title
Ann,Lee,ann.lee@example.com,(555) 010-0001,Acme Plumbing,Owner
Bob,Ray,bob-at-example.com,(555) 010-0002,Ray Heating,Office manager
Cy,Diaz,cy.diaz@example.com,555.010.0003,Diaz & Sons,=cmd()
Dee,Fox,DEE.FOX@example.com,,Fox HVAC,Owner
Eve,Orr,eve.orr@example.com,+1 555 010 0006,Orr Electric,Director
"""


@pytest.fixture
def import_worker(settings, tmp_path):
    """What runs the import's job: a real worker on PostgreSQL and Redis, else the task itself,
    eagerly, in the live server's thread (see the module docstring)."""
    settings.CRM_IMPORTS_DIR = tmp_path
    if connection.vendor == "postgresql" and os.environ.get("REDIS_URL"):
        from tests.integration.workers import start_worker, stop

        worker = start_worker(CRM_IMPORTS_DIR=str(tmp_path))
        yield "celery worker"
        stop(worker)
        return
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield "eager task"
    app.conf.task_always_eager = eager


def test_marketing_imports_a_list_with_two_bad_rows_and_a_duplicate_and_sees_each_reported(
    live_server, page: Page, tmp_path, import_worker
):
    make_user("lister", "marketing")
    ContactFactory(first_name="Dee", last_name="Fox", email="dee.fox@example.com", phone="")  # already known
    csv_file = tmp_path / "ohio-plumbers.csv"
    csv_file.write_text(LIST, encoding="utf-8")
    log_in(page, live_server, "lister")
    open_from_marketing_menu(page, "Import")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a bought list")
    page.get_by_role("button", name="Upload and map the columns").click()  # nothing chosen yet
    expect(page.locator("#id_file_error")).to_contain_text("This field is required")
    expect(page.locator("#id_list_name_error")).to_contain_text("This field is required")
    assert violations(page) == []

    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_label("List name").fill("Ohio plumbers")
    page.get_by_label("Vendor").fill("ListCo")
    page.get_by_label("Price").fill("1,250.00")
    page.get_by_role("button", name="Upload and map the columns").click()

    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.get_by_test_id("detected-encoding")).to_have_text("UTF-8")
    expect(page.get_by_label("Email")).to_have_value("email")  # guessed from the header
    expect(page.get_by_label("Title")).to_have_value("title")
    preview = page.get_by_test_id("preview")
    expect(preview.locator("tr.preview-error")).to_have_count(2)
    expect(preview.locator("tr.preview-duplicate")).to_contain_text("Already known")
    expect(preview).to_contain_text("(555) 010-0001")  # normalized, shown as people write it
    assert violations(page) == []  # WCAG 2.1 AA, as every page the crawl reaches

    page.get_by_label("Title").select_option("")  # the preview follows the mapping (htmx)
    expect(preview.locator("tr.preview-error")).to_have_count(1)
    page.get_by_label("Title").select_option("title")
    expect(preview.locator("tr.preview-error")).to_have_count(2)

    page.get_by_test_id("start-import").click()  # the two choices are the user's to make
    expect(page.get_by_text("Choose whether errors stop the whole import.")).to_be_visible()
    assert violations(page) == []
    page.get_by_label("Valid rows only").check()
    page.get_by_label("Skip them").check()
    page.get_by_test_id("start-import").click()

    result = page.get_by_test_id("import-result")
    expect(result).to_have_attribute("data-status", "done", timeout=30_000)
    expect(page.get_by_test_id("created")).to_have_text("2")
    expect(page.get_by_test_id("duplicates")).to_have_text("1")
    expect(page.get_by_test_id("rejected")).to_have_text("2")
    errors = page.get_by_test_id("import-errors")
    expect(errors.locator("tbody tr").nth(0)).to_contain_text("3")
    expect(errors.locator("tbody tr").nth(0)).to_contain_text("Email")
    expect(errors.locator("tbody tr").nth(0)).to_contain_text("Enter a valid e-mail address.")
    expect(errors.locator("tbody tr").nth(1)).to_contain_text("Title")
    expect(errors.locator("tbody tr").nth(1)).to_contain_text("formula")
    assert violations(page) == []
    with page.expect_download() as download:
        page.get_by_test_id("rejected-csv").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert [row[0] for row in rows] == ["Line", "3", "4"]
    assert rows[2][-1] == "'=cmd()"  # the formula cell is neutralized in the file people open

    run = ImportRun.objects.get()
    assert (run.created, run.duplicate_rows, run.rejected) == (2, 1, 2)
    assert Contact.objects.count() == 3
    assert set(Lead.objects.values_list("stage", "source", "bought_list__name")) == {("list", "list", "Ohio plumbers")}
