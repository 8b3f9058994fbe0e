"""The website script's beacons, visits becoming a known lead's web_visit interactions, the
forward form, and the read endpoints (CONTRACT "Engagement tracking")."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from leads.kinds import InteractionKind, Source
from leads.models import Interaction, Lead
from tests.followups.conftest import unclosed_lead
from tests.tracking.conftest import SITE, link_of, path_of, prospect, send_letters
from tracking import tokens
from tracking.fold import fold_all
from tracking.models import Hit, LeadActivity, Purpose, SiteKey, Visit, Visitor

pytestmark = pytest.mark.django_db

VISITOR = "3f9c2a7be1d04c55"


def beacon(raw_key, body, *, origin=SITE, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return prospect(**headers).post(
        f"/api/v1/track/?k={raw_key}", data=data, content_type="text/plain", HTTP_ORIGIN=origin
    )


def view(raw_key, page, visitor=VISITOR, **extra):
    return beacon(raw_key, {"visitor": visitor, "url": f"{SITE}{page}", "event": "view", **extra})


def test_create_site_key_prints_the_key_alone_on_the_last_line_and_stores_only_its_hash(capsys):
    call_command("create_site_key", "www", "--origin", "https://www.example.com/")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    key = SiteKey.objects.get(name="www")
    assert raw.startswith("sk_") and raw not in key.key_hash and key.allowed_origins == ["https://www.example.com"]


def test_beacons_are_appended_and_bad_ones_refused_with_nothing_stored(site_key):
    _key, raw = site_key
    assert view(raw, "/pricing").status_code == 204
    refused = [
        beacon("sk_nope", {"visitor": VISITOR, "url": f"{SITE}/", "event": "view"}),
        beacon(raw, {"visitor": VISITOR, "url": f"{SITE}/", "event": "view"}, origin="https://evil.example"),
        beacon(raw, {"visitor": VISITOR, "url": "https://evil.example/", "event": "view"}),
        beacon(raw, {"visitor": "x", "url": f"{SITE}/", "event": "view"}),
        beacon(raw, {"visitor": VISITOR, "url": f"{SITE}/", "event": "click"}),
        beacon(raw, {"visitor": VISITOR, "url": f"{SITE}/", "event": "leave", "seconds": -3}),
        beacon(raw, {"visitor": VISITOR, "url": f"{SITE}/", "event": "leave", "seconds": "12"}),
        beacon(raw, "{not json"),
        beacon(raw, "[]"),
        beacon(raw, b"\xff\xfe"),
        beacon(raw, {"visitor": VISITOR, "url": f"{SITE}/" + "a" * 3000, "event": "view"}),
    ]
    assert [answer.status_code for answer in refused] == [403, 403, 400, 400, 400, 400, 400, 400, 400, 400, 413]
    assert Hit.objects.count() == 1
    SiteKey.objects.update(revoked_at=timezone.now())
    from tracking import beacons

    beacons._keys.clear()
    assert view(raw, "/pricing").status_code == 403


def test_do_not_track_and_global_privacy_control_store_nothing(site_key):
    _key, raw = site_key
    assert beacon(raw, {"visitor": VISITOR, "url": f"{SITE}/", "event": "view"}, HTTP_DNT="1").status_code == 204
    assert beacon(raw, {"visitor": VISITOR, "url": f"{SITE}/", "event": "view"}, HTTP_SEC_GPC="1").status_code == 204
    assert not Hit.objects.exists()


def test_a_beacon_flood_is_throttled_per_visitor_without_holding_back_other_visitors(site_key, settings, monkeypatch):
    settings.CRM_TRACKING_BEACONS_PER_VISITOR_MINUTE = 5
    from config import throttling

    window = throttling.window_key
    monkeypatch.setattr(throttling, "window_key", lambda ident, seconds: window(ident, seconds, now=1_000_030.0))
    _key, raw = site_key
    answers = [view(raw, f"/page-{n}").status_code for n in range(8)]
    assert answers[:5] == [204] * 5 and set(answers[5:]) == {429}
    limited = view(raw, "/again")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert view(raw, "/", visitor="another-visitor-1").status_code == 204
    assert Hit.objects.count() == 6


def test_visits_fold_into_sessions_and_join_the_lead_when_the_visitor_sends_the_form(site_key, form_key, api_as):
    _key, raw = site_key
    for page in ("/", "/pricing", "/case-studies"):
        assert view(raw, page + "?utm_source=newsletter" * (page == "/")).status_code == 204
    beacon(raw, {"visitor": VISITOR, "url": f"{SITE}/pricing", "event": "leave", "seconds": 40})
    beacon(raw, {"visitor": VISITOR, "url": f"{SITE}/pricing", "event": "leave", "seconds": 95})  # so far: 95
    fold_all()
    [visit] = Visit.objects.all()
    assert (visit.pages, visit.seconds, visit.utm_source, visit.lead_id) == (3, 95, "newsletter", None)

    _row, form = form_key
    captured = api_as(None).post(
        "/api/v1/capture/",
        {"email": "ada@example.com", "first_name": "Ada", "consent": True, "visitor": VISITOR},
        format="json",
        HTTP_X_FORM_KEY=form,
    )
    assert captured.status_code == 201, captured.content
    lead = Lead.objects.get(pk=captured.json()["lead"])
    fold_all()
    visit.refresh_from_db()
    assert visit.lead_id == lead.pk
    [visited] = Interaction.objects.filter(lead=lead, kind=InteractionKind.WEB_VISIT)
    assert visited.metadata["pages"] == 3 and visited.metadata["seconds"] == 95
    assert visited.metadata["return_visit"] is False

    # A later session of the known visitor is its own visit, a return visit, on the lead at once.
    later = timezone.now() + timedelta(hours=2)
    Hit.objects.create(kind="view", visitor=VISITOR, url=f"{SITE}/pricing", at=later, site_key_id=_key.pk)
    fold_all()
    second = Interaction.objects.filter(lead=lead, kind=InteractionKind.WEB_VISIT).order_by("-occurred_at").first()
    assert second.metadata["return_visit"] is True and second.metadata["pages"] == 1


def test_a_tracked_link_followed_to_the_site_makes_the_visitor_known(site_key, letter_template, settings, tmp_path):
    key, raw = site_key
    letter_template.body += f"\n\nSee {SITE}/spring"
    letter_template.save()
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_template, settings, tmp_path)
    token = tokens.make(link_of(letter, Purpose.CLICK, emailed=True).pk, tokens.CLICK)
    from tracking import views

    views._origins = (0.0, frozenset())  # the site's origins are read afresh
    landed = prospect().get(f"/t/{token}")
    assert landed["Location"] == f"{SITE}/spring?crm_t={token}"
    assert view(raw, f"/spring?crm_t={token}").status_code == 204
    fold_all()
    assert Visitor.objects.get(token=VISITOR).lead_id == lead.pk
    visit = Interaction.objects.get(lead=lead, kind=InteractionKind.WEB_VISIT)
    assert "crm_t" not in visit.metadata["landing_page"]


def test_the_engagement_endpoint_says_what_the_prospect_did_since_our_last_contact(
    site_key, letter_template, settings, tmp_path, users, api_as
):
    letter_template.body += "\n\nSee https://www.example.com/spring"
    letter_template.save()
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_template, settings, tmp_path)
    opened = tokens.make(link_of(letter, Purpose.OPEN, emailed=True).pk, tokens.OPEN)
    clicked = tokens.make(link_of(letter, Purpose.CLICK, emailed=True).pk, tokens.CLICK)
    prospect().get(f"/o/{opened}")
    prospect("Mozilla/5.0").get(f"/o/{opened}")
    prospect().get(f"/t/{clicked}")
    prospect().get(path_of(_printed(letter).qr_url))
    fold_all()

    answer = api_as(users["manager"]).get(f"/api/v1/leads/{lead.pk}/engagement/")
    assert answer.status_code == 200
    body = answer.json()
    assert {key: body[key] for key in ("opens", "machine_opens", "clicks", "scans", "forwards")} == {
        "opens": 1,
        "machine_opens": 1,
        "clicks": 1,
        "scans": 1,
        "forwards": 0,
    }
    emails = api_as(users["marketing"]).get(f"/api/v1/emails/?lead={lead.pk}")
    assert emails.status_code == 200
    [email] = emails.json()
    assert (email["human_opens"], email["machine_opens"], email["clicks"]) == (1, 1, 1)
    assert email["open_url"].endswith(f"/o/{opened}") and email["links"] == [f"{settings.CRM_BASE_URL}/t/{clicked}"]
    assert email["unsubscribe_url"] is None or email["unsubscribe_url"].startswith(settings.CRM_BASE_URL)
    assert api_as(users["csr"]).get(f"/api/v1/emails/?lead={lead.pk}").status_code == 403
    assert api_as(users["marketing"]).get("/api/v1/emails/?lead=abc").status_code == 400
    assert api_as(users["marketing"]).get("/api/v1/emails/?lead=999999").status_code == 404
    # A salesperson sees the e-mails only of leads they may see.
    assert api_as(users["sales"]).get(f"/api/v1/emails/?lead={lead.pk}").status_code == 404

    # A call resets "since our last contact".
    api_as(users["csr"]).post(f"/api/v1/leads/{lead.pk}/interactions/", {"kind": "call_outbound"}, format="json")
    lead.refresh_from_db()
    later = api_as(users["manager"]).get(f"/api/v1/leads/{lead.pk}/engagement/").json()
    assert later["since"] is not None
    LeadActivity.objects.filter(lead=lead).update(hour=timezone.now() - timedelta(days=2))
    assert api_as(users["manager"]).get(f"/api/v1/leads/{lead.pk}/engagement/").json()["opens"] == 0


def _printed(letter):
    from tracking import links

    return links.printed([letter.pk])[letter.pk]


def test_a_forwarded_letter_brings_in_a_referral_and_credits_the_original_lead(letter_template, settings, tmp_path):
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_template, settings, tmp_path)
    address = path_of(_printed(letter).forward_url)
    page = prospect().get(address)
    assert page.status_code == 200 and b"Someone thought" in page.content
    incomplete = prospect().post(address, {"first_name": "Bo"})
    assert incomplete.status_code == 400 and b"e-mail address or a phone" in incomplete.content
    assert Lead.objects.count() == 1
    sent = prospect().post(address, {"first_name": "Bo", "last_name": "Friend", "email": "bo@example.com"})
    assert sent.status_code == 200 and b"Thank you" in sent.content

    referral = Lead.objects.exclude(pk=lead.pk).get()
    assert referral.source == Source.REFERRAL and referral.referrer_id == lead.pk
    forwarded = Interaction.objects.get(lead=lead, kind=InteractionKind.EMAIL_FORWARD)
    assert forwarded.metadata["referred_lead"] == referral.pk
    from tracking.models import Tally

    assert Tally.objects.get(scope="letter", ref=str(letter.pk)).forwards == 1
    assert prospect().get("/f/forged-token-123456").status_code == 404
    assert prospect().post(address, {"first_name": "X", "email": "x@example.com", "website": "spam"}).status_code == 400


def test_the_script_is_served_small_cacheable_and_first_party():
    script = prospect().get("/track.js")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert len(script.content) < 5000 and b"sendBeacon" in script.content and b"doNotTrack" in script.content
    assert "max-age" in script["Cache-Control"]


def test_engagement_alone_that_makes_an_owned_lead_hot_notifies_its_owner(site_key, form_key, users, api_as):
    from notifications.models import Notification
    from tests.factories import handed_over_lead

    lead = handed_over_lead(users["sales"], by=users["csr"], contact__consent=True)
    assert lead.temperature != "hot"
    key, _raw = site_key
    from tracking.visitors import identify

    identify(VISITOR, lead)
    start = timezone.now() - timedelta(days=1)
    for day in range(8):  # eight return visits, a day apart
        at = start + timedelta(hours=3 * day)
        Hit.objects.create(kind="view", visitor=VISITOR, url=f"{SITE}/pricing", at=at, site_key_id=key.pk)
    fold_all()
    lead.refresh_from_db()
    assert Interaction.objects.filter(lead=lead, kind="web_visit").count() == 8
    assert lead.temperature == "hot"
    told = Notification.objects.filter(user=users["sales"], lead=lead, message__contains="turned hot from engagement")
    assert told.count() == 1


def test_erasure_removes_visitor_ids_hits_and_tracked_links_and_the_export_includes_them(
    site_key, form_key, letter_template, settings, tmp_path, users, api_as
):
    key, raw = site_key
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_template, settings, tmp_path)
    from tracking.visitors import identify

    identify(VISITOR, lead)
    assert view(raw, "/pricing").status_code == 204
    scan = _printed(letter).qr_url
    prospect().get(path_of(scan))
    fold_all()
    manager = api_as(users["manager"])
    export = manager.get(f"/api/v1/contacts/{lead.contact_id}/export/").json()
    assert export["tracked_links"] and export["website_visitor_ids"] and export["website_visits"]
    assert len(export["tracking_hits"]) == 2

    assert manager.post(f"/api/v1/contacts/{lead.contact_id}/erase/").status_code == 200
    from tracking.models import TrackedLink

    assert not TrackedLink.objects.filter(lead=lead).exists()
    assert not Visitor.objects.exists() and not Visit.objects.exists() and not Hit.objects.exists()
    # The QR code now leads to the safe default and records nothing.
    from tracking import links

    links.forget()
    assert prospect().get(path_of(scan))["Location"] == settings.CRM_TRACKING_SAFE_URL
    assert not Hit.objects.exists()


def test_the_scoreboard_counts_tracked_visits_by_utm_source(site_key, users, api_as):
    _key, raw = site_key
    view(raw, "/?utm_source=Newsletter")
    view(raw, "/?utm_source=newsletter", visitor="second-visitor")
    view(raw, "/", visitor="third-visitor")
    fold_all()
    rows = api_as(users["marketing"]).get("/api/v1/reports/sources/").json()
    visits = {row["source"]: row["visits"] for row in rows}
    assert visits["newsletter"] == 2 and visits["(none)"] == 1
    by_campaign = api_as(users["marketing"]).get("/api/v1/reports/sources/?group=campaign").json()
    assert all(row["visits"] is None for row in by_campaign)


def test_the_batch_report_shows_what_prospects_did_and_what_followed(
    letter_template, settings, tmp_path, users, api_as
):
    letter_template.body += "\n\nSee https://www.example.com/spring"
    letter_template.save()
    unclosed_lead(consent=True)
    unclosed_lead(consent=True)
    letters = send_letters(letter_template, settings, tmp_path)
    for letter in letters:
        opened = tokens.make(link_of(letter, Purpose.OPEN, emailed=True).pk, tokens.OPEN)
        prospect().get(f"/o/{opened}")
        prospect("Mozilla/5.0").get(f"/o/{opened}")
    prospect().get(path_of(_printed(letters[0]).qr_url))
    fold_all()
    report = api_as(users["marketing"]).get(f"/api/v1/letters/batches/{letters[0].batch_id}/").json()
    assert (report["human_opens"], report["machine_opens"], report["scans"], report["clicks"]) == (2, 2, 1, 0)
    assert report["responses"] == 1  # the scan answered its letter
    from tests.factories import signed_in_client

    html = signed_in_client(users["marketing"]).get(f"/letters/batches/{letters[0].batch_id}/").content.decode()
    assert 'data-testid="human-opens">2<' in html and 'data-testid="scans">1<' in html


def test_a_visitor_who_did_not_agree_to_marketing_stays_anonymous(site_key, form_key, api_as):
    _key, raw = site_key
    view(raw, "/pricing")
    _row, form = form_key
    captured = api_as(None).post(
        "/api/v1/capture/",
        {"email": "no.thanks@example.com", "first_name": "Noa", "consent": False, "visitor": VISITOR},
        format="json",
        HTTP_X_FORM_KEY=form,
    )
    assert captured.status_code == 201, captured.content
    fold_all()
    [visit] = Visit.objects.all()
    assert visit.lead_id is None and visit.pages == 1  # counted, never theirs
    assert not Interaction.objects.filter(kind=InteractionKind.WEB_VISIT).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"visitor": VISITOR, "url": f"{SITE}/", "event": [1]},
        {"visitor": VISITOR, "url": "http://[x", "event": "view"},
        {"visitor": VISITOR, "url": f"{SITE}/", "event": {"a": 1}},
        {"visitor": ["x"], "url": f"{SITE}/", "event": "view"},
        {"visitor": VISITOR, "url": f"{SITE}/", "event": "leave", "seconds": True},
        {"visitor": VISITOR, "url": f"{SITE}/", "event": "view", "referrer": 5},
    ],
)
def test_malformed_beacons_are_refused_with_400_and_nothing_stored(site_key, body):
    _key, raw = site_key
    assert beacon(raw, body).status_code == 400
    assert not Hit.objects.exists()


def test_a_visitor_named_mid_visit_brings_the_whole_visit(site_key, form_key, api_as):
    _key, raw = site_key
    for page in ("/", "/pricing", "/contact"):
        view(raw, page)
    fold_all()  # folded while they are anonymous
    _row, form = form_key
    captured = api_as(None).post(
        "/api/v1/capture/",
        {"email": "mid@example.com", "first_name": "Mid", "consent": True, "visitor": VISITOR},
        format="json",
        HTTP_X_FORM_KEY=form,
    )
    beacon(raw, {"visitor": VISITOR, "url": f"{SITE}/contact", "event": "leave", "seconds": 30})
    fold_all()
    lead = Lead.objects.get(pk=captured.json()["lead"])
    from tracking.selectors import engagement

    seen = engagement(lead)
    assert (seen.visits, seen.pages, seen.seconds) == (1, 3, 30)


def test_a_crawlers_page_views_are_kept_raw_and_never_a_visit(site_key):
    _key, raw = site_key
    crawler = prospect("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    body = json.dumps({"visitor": "crawler-0001", "url": f"{SITE}/pricing", "event": "view"})
    answer = crawler.post(f"/api/v1/track/?k={raw}", data=body, content_type="text/plain", HTTP_ORIGIN=SITE)
    assert answer.status_code == 204
    fold_all()
    assert Hit.objects.get().machine == "scanner or preview" and not Visit.objects.exists()
