"""A list import whose worker is SIGKILLed part way resumes within seconds on a new worker and
imports every row exactly once: each person one contact with one lead, each rejected row once
in the rejected-rows file, and the counts add up to the file. Real PostgreSQL, Redis, worker
and beat."""

import csv
import io
import os
import signal
import time

import pytest
from django.db.models import Count

from crm.models import Contact
from imports import services
from imports.models import ImportRun
from jobs.models import Job
from leads.models import Lead
from tests.imports.conftest import upload
from tests.integration.workers import start_beat, start_worker, stop, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = 6000


def bought_list_file() -> str:
    lines = ["First name,Last name,E-mail,Phone,Company"]
    for i in range(ROWS):
        email = "not-an-address" if i % 500 == 7 else f"person{i % (ROWS - 100)}@example.com"  # 100 repeats
        lines.append(f"P{i},L{i},{email},,Company {i % 50}")
    return "\n".join(lines) + "\n"


def test_a_killed_worker_resumes_the_import_and_no_row_is_imported_twice(settings, tmp_path):
    settings.CRM_IMPORTS_DIR = tmp_path
    env = {"CRM_IMPORT_CHUNK": "100", "CRM_JOB_STALL_SECONDS": "3", "CRM_IMPORTS_DIR": str(tmp_path)}
    run = services.import_list(
        upload=upload(bought_list_file()), list_name="Recovery", mode="valid_rows", duplicates="skip"
    )
    beat = start_beat(**env)
    worker = start_worker(**env)
    try:
        assert wait_for(lambda: ImportRun.objects.get(pk=run.pk).processed >= ROWS // 5, seconds=60), "never started"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        stop(worker, "killed worker")
        at_kill = ImportRun.objects.get(pk=run.pk).processed
        assert 0 < at_kill < ROWS, "the kill came too late to test anything"
        worker = start_worker(**env)
        restarted = time.monotonic()
        assert wait_for(lambda: ImportRun.objects.get(pk=run.pk).processed > at_kill, seconds=60), "did not resume"
        resumed_after = time.monotonic() - restarted
        assert wait_for(lambda: Job.objects.get(pk=run.job_id).status == "done", seconds=120), "did not finish"
    finally:
        stop(worker)
        stop(beat, "beat")

    run.refresh_from_db()
    assert resumed_after < 30
    bad = len([i for i in range(ROWS) if i % 500 == 7])
    assert (run.processed, run.rejected) == (ROWS, bad)
    assert run.created + run.duplicate_rows + run.rejected == ROWS
    assert Contact.objects.values("email").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert Contact.objects.count() == run.created == Lead.objects.filter(bought_list=run.bought_list).count()
    assert Lead.objects.values("contact").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    table = list(csv.reader(io.StringIO((tmp_path / "rejected" / run.rejected_file).read_text(encoding="utf-8-sig"))))
    assert [int(row[0]) for row in table[1:]] == [i + 2 for i in range(ROWS) if i % 500 == 7]  # each once, in order
    assert not list((tmp_path / "uploads").glob("*"))  # the upload is deleted once done
