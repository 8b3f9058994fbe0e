"""Every model has an admin page a manager can open, and the rules of engagement validate there too."""

import pytest
from django.contrib import admin
from django.test import Client

from leads.engagement import rules_of_engagement
from tests.factories import DEMO_PASSWORD, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_browser(users):
    client = Client()
    assert client.login(username="manager1", password=DEMO_PASSWORD)
    return client


def test_every_registered_model_list_opens_for_a_manager(manager_browser):
    LeadFactory()
    for model in admin.site._registry:
        meta = model._meta
        response = manager_browser.get(f"/admin/{meta.app_label}/{meta.model_name}/")
        assert response.status_code == 200, f"{meta.label}: {response.status_code}"


def test_rules_of_engagement_refuse_a_bad_change_in_the_admin(manager_browser):
    rules = rules_of_engagement()  # a flush by an earlier transactional test may have removed the row
    url = f"/admin/leads/rulesofengagement/{rules.pk}/change/"
    response = manager_browser.post(
        url, {"required_facts": '["shoe_size"]', "hot_response_minutes": 60, "reassign_after_minutes": 30}
    )
    assert response.status_code == 200 and "Use a list of" in response.content.decode()
    rules.refresh_from_db()
    assert rules.required_facts == ["inquiry_reason", "desired_outcome"]
