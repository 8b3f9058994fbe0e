"""The management commands of CONTRACT.md, as an operator runs them."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from leads.capture import active_form_key
from leads.models import FormKey, Lead

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_user_gives_the_role_and_a_working_password(client):
    output = run("create_user", "dana", "--role", "sales", "--password", "s3cret-pass")
    assert "dana" in output
    user = get_user_model().objects.get(username="dana")
    assert list(user.groups.values_list("name", flat=True)) == ["Sales"]
    assert client.login(username="dana", password="s3cret-pass")


def test_create_user_refuses_duplicates_and_unknown_roles():
    run("create_user", "dana", "--role", "csr")
    with pytest.raises(CommandError, match="already exists"):
        run("create_user", "dana", "--role", "csr")
    with pytest.raises(CommandError):
        run("create_user", "erin", "--role", "wizard")
    assert get_user_model().objects.filter(username="erin").count() == 0


def test_create_form_key_prints_the_key_once_on_the_last_line():
    output = run("create_form_key", "Contact page", "--origin", "https://example.com")
    raw = output.strip().splitlines()[-1]
    form_key = active_form_key(raw)
    assert form_key is not None and form_key.name == "Contact page"
    assert form_key.allowed_origins == ["https://example.com"]
    assert raw not in str(FormKey.objects.values_list())


def test_create_form_key_refuses_a_taken_name():
    run("create_form_key", "Contact page")
    with pytest.raises(CommandError, match="already exists"):
        run("create_form_key", "Contact page")


def test_seed_demo_is_idempotent_and_gives_every_role_a_user():
    run("seed_demo")
    leads = Lead.objects.count()
    run("seed_demo")
    assert Lead.objects.count() == leads > 0
    roles = {user.groups.get().name for user in get_user_model().objects.all()}
    assert roles == {"CSR", "Sales", "Marketing", "Manager"}
    assert Lead.objects.filter(score__gt=0).exists()
