"""Helpers for import tests: files as a browser would upload them, and running an import's job
to its end in the test's own process (no broker)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportRun
from jobs import services as jobs

HEADER = "First name,Last name,E-mail,Phone,Company,Title\n"


@pytest.fixture(autouse=True)
def imports_dir(settings, tmp_path):
    settings.CRM_IMPORTS_DIR = tmp_path / "imports"
    return settings.CRM_IMPORTS_DIR


def upload(text: str | bytes, name: str = "list.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    data = text.encode(encoding) if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def run_to_end(run: ImportRun) -> ImportRun:
    jobs.run_job(run.job_id)
    return ImportRun.objects.select_related("job", "bought_list").get(pk=run.pk)


def rows(*lines: str, header: str = HEADER) -> str:
    return header + "".join(line + "\n" for line in lines)
