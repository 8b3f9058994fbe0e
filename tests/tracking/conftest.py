"""Tracking fixtures: a site key, a batch of letters sent to consenting unclosed prospects, and
hits made the way prospects (and their mail scanners) make them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from followups.letters import services as letters
from followups.models import Letter
from jobs import services as jobs
from outbox.models import Email
from tests.followups.conftest import letter_template, shipped_defaults  # noqa: F401 (fixtures)
from tracking.models import Purpose, SiteKey, TrackedLink
from tracking.sitekeys import create_site_key

SITE = "https://www.example.com"
BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)
SAFE_LINKS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Microsoft Office/16.0 (Microsoft Outlook 16.0.17328; Pro)"


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(jobs, "enqueue_job", lambda job_id: None)


LANDING = "https://www.example.com/spring?utm_source=letter"


@pytest.fixture
def letter_with_link(letter_template):  # noqa: F811 (the fixture imported above, asked for by name)
    """The letters' template with a link of marketing's in its body (tracked in every e-mail)."""
    letter_template.body += f"\n\nSee what is new: {LANDING}"
    letter_template.save()
    return letter_template


@pytest.fixture
def site_key(db) -> tuple[SiteKey, str]:
    return create_site_key(name="www", origins=[SITE])


def send_letters(template, settings, tmp_path) -> list[Letter]:
    """A batch worked here, as the worker would, its e-mails marked sent a minute ago."""
    settings.CRM_LETTERS_DIR = tmp_path
    batch = letters.start_batch(template_id=template.pk)
    jobs.run_job(batch.job_id)
    Email.objects.update(sent_at=timezone.now() - timedelta(minutes=1))
    return list(Letter.objects.filter(batch=batch).select_related("lead"))


def link_of(letter: Letter, purpose: str, *, emailed: bool) -> TrackedLink:
    links = TrackedLink.objects.filter(letter=letter, purpose=purpose)
    return (links.exclude(email_key="") if emailed else links.filter(email_key="")).get()


def path_of(address: str) -> str:
    return address.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def prospect(agent: str = BROWSER, **headers) -> Client:
    return Client(HTTP_USER_AGENT=agent, REMOTE_ADDR="198.51.100.23", **headers)


__all__ = ["BROWSER", "LANDING", "SAFE_LINKS", "SITE", "Purpose", "link_of", "path_of", "prospect", "send_letters"]
