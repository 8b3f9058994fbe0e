"""Schemathesis over every operation of the API, as every role: valid and invalid input made
from the schema itself. Never a 5xx, and every answer matches what the schema says (status,
content type, body). Each case is sent twice: with the ids and keys it was generated with, and
with them pointed at rows that exist (a lead, an offer, a campaign, a job, the form key), so
the deep paths run too. The tally of each run is written to var/schemathesis/."""

import json
import logging
import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leads.kinds import Stage
from tests.factories import LeadFactory, LogRecords, make_user, sales_ready_lead

pytestmark = pytest.mark.django_db  # also restores the shipped rules a flushed transactional test removed

ROLES = ("csr", "sales", "marketing", "manager")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
EXAMPLES = int(os.environ.get("CRM_SCHEMATHESIS_EXAMPLES", "4"))


def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


config = SchemathesisConfig.from_dict({"generation": {"max-examples": EXAMPLES, "deterministic": True}})
schema = schemathesis.openapi.from_dict(_schema(), config=config)

_tally: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _write_tally():
    yield
    folder = Path(django_settings.VAR_DIR) / "schemathesis"
    folder.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (folder / f"{worker}.json").write_text(json.dumps(dict(_tally), indent=1, sort_keys=True))


@pytest.fixture
def world(db):
    """A small book of real rows, a token per role, and the WSGI app with the test's settings."""
    from django.core.wsgi import get_wsgi_application
    from rest_framework.authtoken.models import Token

    from campaigns.models import Campaign, Offer, Placement
    from jobs.models import Job
    from leads.capture import create_form_key

    users = {role: make_user(f"st-{role}", role) for role in ROLES}
    tokens = {role: Token.objects.create(user=user).key for role, user in users.items()}
    now = timezone.now()
    campaign = Campaign.objects.create(name="Spring")
    offer = Offer.objects.create(
        campaign=campaign,
        code="SPRING25",
        headline="25% off",
        starts_at=now,
        deadline=now.replace(year=now.year + 1),
        upsell_product="Plan",
        upsell_pitch="Two visits",
        launched_at=now,
        quantity_limit=50,
    )
    Placement.objects.create(offer=offer, channel="mail", outlet="Letter", starts_on=now.date(), ends_on=now.date())
    leads = [
        LeadFactory(stage=Stage.INQUIRY, inquiry_reason="Quote", desired_outcome="Lower bills"),
        sales_ready_lead(inquiry_reason="Quote", desired_outcome="Lower bills"),
        sales_ready_lead({"timeline": "this_month"}, owner=users["sales"], inquiry_reason="x", desired_outcome="y"),
    ]
    job = Job.objects.create(kind="rescore", params={"version": 1}, status="done", total=3, done=3)
    _row, form_key = create_form_key(name="schemathesis site")
    # As Django's test client does: a request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # The exception handler's safety net answers 4xx when unchecked input reaches the database
    # and logs it; here any such line is a failure: every input must be checked before that.
    unchecked = LogRecords()
    logging.getLogger("config.api").addHandler(unchecked)
    try:
        yield {
            "app": get_wsgi_application(),
            "tokens": tokens,
            "ids": {"leads": leads, "offers": offer.pk, "campaigns": campaign.pk, "jobs": job.pk},
            "form_key": form_key,
        }
        assert not unchecked.records, [record.getMessage() for record in unchecked.records]
    finally:
        logging.getLogger("config.api").removeHandler(unchecked)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _pointed_at_real_rows(case, world):
    """The same case with its ids and keys pointed at rows that exist; None when nothing changes."""
    path = case.operation.path
    path_parameters = dict(case.path_parameters or {})
    headers = dict(case.headers or {})
    body = case.body
    if "id" in path_parameters:
        for prefix, value in world["ids"].items():
            if path.startswith(f"/api/v1/{prefix}/"):
                path_parameters["id"] = value[len(str(path_parameters["id"])) % 3].pk if prefix == "leads" else value
    if path == "/api/v1/capture/":
        headers["X-Form-Key"] = world["form_key"]
    if isinstance(body, dict) and "lead" in body:
        body = {**body, "lead": world["ids"]["leads"][1].pk}
    if (path_parameters, headers, body) == (dict(case.path_parameters or {}), dict(case.headers or {}), case.body):
        return None
    return case.operation.Case(
        method=case.method,
        path_parameters=path_parameters,
        headers=headers,
        cookies=case.cookies,
        query=case.query,
        body=body,
        media_type=case.media_type,
    )


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx_or_off_schema_for_any_role(case, world):
    phase = case._meta.phase.name.value if case._meta is not None else "explicit"
    _tally[f"phase:{phase}"] += 1
    if phase == "coverage":
        # The coverage phase walks every boundary and wrong method (thousands of cases): each
        # goes as one role, in turn, so the run stays a few seconds per operation.
        variants, roles = [case], [ROLES[_tally["requests"] % len(ROLES)]]
    else:
        variants, roles = [case, _pointed_at_real_rows(case, world)], ROLES
    for sent in variants:
        if sent is None:
            continue
        if sent.media_type in FORM_TYPES and not isinstance(sent.body, dict | type(None)):
            continue  # a bare number or list cannot be written as form fields: no client can send it
        for role in roles:
            headers = (
                {} if case.operation.path == "/api/v1/capture/" else {"Authorization": f"Token {world['tokens'][role]}"}
            )
            response = sent.call(app=world["app"], headers=headers)
            _tally["requests"] += 1
            _tally[f"status_{response.status_code // 100}xx"] += 1
            _tally[f"op:{case.operation.method.upper()} {case.operation.path}"] += 1
            if sent.method == "OPTIONS" and case.operation.path == "/api/v1/capture/":
                assert response.status_code == 204  # the CORS preflight (tests/leads/test_capture_api.py)
                continue
            try:
                sent.validate_response(response, checks=CHECKS)
            except Exception:
                _tally["failures"] += 1
                raise


def test_the_schema_builds_without_a_warning_and_validates():
    """drf-spectacular's warnings fail `make check-deploy`; this keeps them at zero."""
    import io

    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--validate", stdout=io.StringIO())


def test_the_deploy_checks_pass_with_production_settings():
    import subprocess
    import sys

    env = {
        **{name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SECRET_KEY": "check-only-" + "x9" * 30,
        "DJANGO_ALLOWED_HOSTS": "crm.example.com",
        "DJANGO_DEBUG": "0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_follow_up_with_an_assignee_and_one_in_a_pool_both_match_the_schema(world):
    """`pool` is null while a person has the follow-up and names the pool while nobody does;
    both answers validate against the schema (an assigned one used to say "", off its enum)."""
    from datetime import timedelta

    from rest_framework.authtoken.models import Token

    from followups.models import FollowUp

    csr = Token.objects.get(key=world["tokens"]["csr"]).user
    headers = {"Authorization": f"Token {world['tokens']['csr']}"}
    lead = world["ids"]["leads"][0]
    due_at = (timezone.now() + timedelta(days=1)).isoformat()
    create = schema["/api/v1/followups/"]["POST"].Case(
        body={"lead": lead.pk, "due_at": due_at, "assignee": csr.pk}, media_type="application/json"
    )
    created = create.call(app=world["app"], headers=headers)
    create.validate_response(created, checks=CHECKS)
    assert created.status_code == 201 and created.json()["assignee"] == csr.pk and created.json()["pool"] is None
    pooled = FollowUp.objects.create(lead=lead, kind="callback", due_at=timezone.now(), pool="CSR")
    read = schema["/api/v1/followups/{id}/"]["GET"]
    for followup_id, pool in ((created.json()["id"], None), (pooled.pk, "CSR")):
        case = read.Case(path_parameters={"id": followup_id})
        response = case.call(app=world["app"], headers=headers)
        case.validate_response(response, checks=CHECKS)
        assert response.json()["pool"] == pool
    listed = schema["/api/v1/followups/"]["GET"].Case()
    response = listed.call(app=world["app"], headers=headers)
    listed.validate_response(response, checks=CHECKS)
    assert sorted(str(row["pool"]) for row in response.json()["results"]) == ["CSR", "None"]
