"""The site's icon: every page links it, and /favicon.ico, which browsers and PDF viewers ask for
whatever the page says, leads to it instead of a 404."""

import pytest

from tests.factories import signed_in_client

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.ico"
    icon = client.get("/favicon.ico", follow=True)
    assert icon.status_code == 200 and icon["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert body(icon)[:4] == b"\x00\x00\x01\x00"  # an ICO file's header


def test_every_page_links_the_icon(client, users):
    for page in (client.get("/login/"), signed_in_client(users["csr"]).get("/leads/")):
        html = page.content.decode()
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
        assert 'href="data:,"' not in html
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml") and b"<svg" in body(svg)
