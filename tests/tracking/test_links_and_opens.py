"""Tracked links, QR codes and open images: what a prospect's click, scan or open records, what a
machine's does not, and that no token can be forged or pointed elsewhere."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from data_rights.services import erase_contact
from followups.models import Letter
from leads.kinds import InteractionKind, Stage
from leads.models import Interaction, Lead
from outbox.models import Email
from tests.followups.conftest import unclosed_lead
from tests.tracking.conftest import BROWSER, LANDING, SAFE_LINKS, link_of, path_of, prospect, send_letters
from tracking import tokens
from tracking.engaged import rescore_engaged
from tracking.fold import SCORING, count_batch, fold_all, fold_batch, marked_before
from tracking.models import FoldCursor, Hit, LeadActivity, PendingRescore, Purpose, Tally, TrackedLink

pytestmark = pytest.mark.django_db


def test_every_link_in_a_letters_e_mail_is_tracked_with_an_open_image_and_a_forward_link(
    letter_with_link, settings, tmp_path
):
    lead = unclosed_lead(first_name="Grace", consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    email = Email.objects.get(key=f"letter:{letter.pk}")
    assert LANDING not in email.text and LANDING not in email.html
    click = link_of(letter, Purpose.CLICK, emailed=True)
    assert click.url == LANDING and click.lead_id == lead.pk and click.email_key == email.key
    assert f"{settings.CRM_BASE_URL}/t/{tokens.make(click.pk, tokens.CLICK)}" in email.text
    assert f'<img src="{settings.CRM_BASE_URL}/o/' in email.html
    assert f"{settings.CRM_BASE_URL}/f/" in email.text and "Pass it on" in email.text
    # The printed letter has its own QR code and forward form, not the e-mail's.
    assert link_of(letter, Purpose.SCAN, emailed=False).url == settings.CRM_TRACKING_LANDING_URL


def test_a_click_redirects_to_the_destination_and_is_scored_once_a_day_with_its_implied_open(
    letter_with_link, settings, tmp_path
):
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    click = link_of(letter, Purpose.CLICK, emailed=True)
    before = lead.score
    for _ in range(3):
        answer = prospect().get(f"/t/{tokens.make(click.pk, tokens.CLICK)}")
        assert answer.status_code == 302 and answer["Location"] == LANDING
    assert Hit.objects.count() == 3
    lead.refresh_from_db()
    assert lead.score == before  # nothing happens to the lead in the request

    assert fold_all() == 3
    kinds = list(Interaction.objects.filter(lead=lead).values_list("kind", flat=True))
    assert kinds.count(InteractionKind.EMAIL_CLICK) == 1 and kinds.count(InteractionKind.EMAIL_OPEN) == 1
    lead.refresh_from_db()
    assert lead.score > before
    email_tally = Tally.objects.get(scope="email", ref=f"letter:{letter.pk}")
    assert (email_tally.clicks, email_tally.human_opens, email_tally.machine_clicks) == (3, 1, 0)
    assert fold_all() == 0  # nothing folded twice


def test_a_mail_scanner_and_an_open_one_second_after_sending_are_kept_as_machine_and_never_scored(
    letter_with_link, settings, tmp_path
):
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    email = Email.objects.get(key=f"letter:{letter.pk}")
    opened = link_of(letter, Purpose.OPEN, emailed=True)
    click = link_of(letter, Purpose.CLICK, emailed=True)
    Email.objects.filter(pk=email.pk).update(sent_at=timezone.now() - timedelta(seconds=1))
    score = lead.score

    assert prospect().get(f"/o/{tokens.make(opened.pk, tokens.OPEN)}").status_code == 200  # one second after sending
    assert prospect(SAFE_LINKS).get(f"/t/{tokens.make(click.pk, tokens.CLICK)}").status_code == 302  # SafeLinks
    assert prospect("Mozilla/5.0").get(f"/o/{tokens.make(opened.pk, tokens.OPEN)}").status_code == 200  # Apple MPP
    fold_all()

    lead.refresh_from_db()
    assert lead.score == score
    assert not Interaction.objects.filter(lead=lead, kind__in=["email_open", "email_click"]).exists()
    tally = Tally.objects.get(scope="email", ref=email.key)
    assert (tally.human_opens, tally.machine_opens, tally.clicks, tally.machine_clicks) == (0, 2, 0, 1)
    reasons = sorted(Hit.objects.values_list("machine", flat=True))
    assert reasons == ["", "Apple privacy proxy", "scanner or preview"]  # the hindsight rule is the fold's


def test_forged_truncated_and_cross_door_tokens_go_to_the_safe_default_and_record_nothing(
    letter_with_link, settings, tmp_path
):
    settings.CRM_TRACKING_SAFE_URL = "https://www.example.com/"
    unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    click = link_of(letter, Purpose.CLICK, emailed=True)
    opened = link_of(letter, Purpose.OPEN, emailed=True)
    good = tokens.make(click.pk, tokens.CLICK)
    other_link = tokens.make(click.pk + 1, tokens.CLICK)[:-1] + good[-1]
    if other_link == tokens.make(click.pk + 1, tokens.CLICK):  # the same last character, 1 in 62
        other_link = tokens.make(click.pk + 2, tokens.CLICK)[:-1] + good[-1]
    for bad in (
        good[:-1],  # truncated
        good[:-1] + ("A" if good[-1] != "A" else "B"),  # forged
        other_link,  # another id with this one's signature
        tokens.make(opened.pk, tokens.OPEN),  # an open image's token used as a link
        tokens.make(opened.pk, tokens.CLICK),  # an open image's row behind a link's door: no link
        "0" + good,  # a second spelling of the id
        "x" * 200,
        "abc!defghijklmnop",
    ):
        answer = prospect().get(f"/t/{bad}")
        assert answer.status_code == 302 and answer["Location"] == "https://www.example.com/", bad
    assert prospect().get(f"/t/{tokens.make(10**9, tokens.CLICK)}")["Location"] == "https://www.example.com/"
    assert not Hit.objects.exists()
    # The image answers a GIF whatever it is given, and records only a real one.
    for token in ("nothing", good, tokens.make(opened.pk, tokens.OPEN)):
        image = prospect().get(f"/o/{token}")
        assert image.status_code == 200 and image["Content-Type"] == "image/gif"
    assert Hit.objects.count() == 1


def test_a_head_or_a_prefetch_is_redirected_but_records_nothing(letter_with_link, settings, tmp_path):
    unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    token = tokens.make(link_of(letter, Purpose.CLICK, emailed=True).pk, tokens.CLICK)
    assert prospect().head(f"/t/{token}")["Location"] == LANDING
    assert prospect(HTTP_SEC_PURPOSE="prefetch").get(f"/t/{token}")["Location"] == LANDING
    assert prospect(HTTP_PURPOSE="prefetch").get(f"/t/{token}")["Location"] == LANDING
    assert prospect().head(f"/o/{token}").status_code == 200
    assert not Hit.objects.exists()


def test_a_qr_scan_answers_the_letter_as_its_typed_code_does_and_brings_the_prospect_back(
    letter_template, settings, tmp_path
):
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_template, settings, tmp_path)
    scan = link_of(letter, Purpose.SCAN, emailed=False)
    answer = prospect().get(path_of(_qr_url(letter)))
    assert answer.status_code == 302 and answer["Location"] == settings.CRM_TRACKING_LANDING_URL
    assert Hit.objects.get().kind == "scan" and Hit.objects.get().link_id == scan.pk
    fold_all()

    letter.refresh_from_db()
    lead.refresh_from_db()
    assert letter.responded_at is not None  # the batch page counts it
    scanned = Interaction.objects.get(lead=lead, kind=InteractionKind.QR_SCAN)
    assert scanned.metadata["letter_code"] == letter.code
    assert lead.stage in (Stage.INQUIRY, Stage.SALES_READY)  # an unclosed prospect who answers is back
    assert lead.stage_changes.filter(to_stage=Stage.INQUIRY, reason__contains="QR").exists()


def _qr_url(letter: Letter) -> str:
    from tracking import links

    return links.printed([letter.pk])[letter.pk].qr_url


def test_the_letters_api_gives_the_qr_url_and_the_pdf_prints_it(letter_template, settings, tmp_path, users, api_as):
    unclosed_lead(consent=True)
    [letter] = send_letters(letter_template, settings, tmp_path)
    marketing = api_as(users["marketing"])
    one = marketing.get(f"/api/v1/letters/{letter.pk}/").json()
    listed = marketing.get(f"/api/v1/letters/?lead={letter.lead_id}").json()["results"]
    assert one["qr_url"] == listed[0]["qr_url"] == _qr_url(letter)
    assert one["qr_url"].startswith(f"{settings.CRM_BASE_URL}/t/")
    pdf = marketing.get(f"/api/v1/letters/{letter.pk}/pdf/")
    assert pdf.status_code == 200 and b" re " in pdf.content or pdf.status_code == 200


def test_links_are_written_only_by_the_product_and_never_point_where_a_request_says(
    letter_with_link, settings, tmp_path
):
    unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    token = tokens.make(link_of(letter, Purpose.CLICK, emailed=True).pk, tokens.CLICK)
    for extra in ("?next=https://evil.example", "?url=https://evil.example", "/https://evil.example"):
        answer = prospect().get(f"/t/{token}{extra}")
        assert "evil" not in answer.get("Location", ""), extra
    assert TrackedLink.objects.filter(url__contains="evil").count() == 0


def test_an_e_mail_written_from_the_lead_page_is_tracked_only_for_a_contact_who_agreed(users, api_as):
    from tests.factories import lead_after

    agreed = lead_after("call_inbound", contact__consent=True)
    refused = lead_after("call_inbound", contact__consent=False)
    csr = api_as(users["csr"])
    text = "Here is the brochure: https://www.example.com/brochure.pdf"
    for lead in (agreed, refused):
        sent = csr.post(f"/api/v1/leads/{lead.pk}/email/", {"subject": "Brochure", "text": text}, format="json")
        assert sent.status_code == 201, sent.content
    tracked = Email.objects.get(to_address=agreed.contact.email)
    plain = Email.objects.get(to_address=refused.contact.email)
    assert "/t/" in tracked.text and "/o/" in tracked.html and "Pass it on" not in tracked.text  # one-to-one
    assert "https://www.example.com/brochure.pdf" in plain.text and "/o/" not in plain.html
    # Both are listed: the untracked one without an open image or counts.
    marketing = api_as(users["marketing"])
    [listed] = marketing.get(f"/api/v1/emails/?lead={refused.pk}").json()
    assert listed["subject"] == "Brochure" and listed["open_url"] == "" and listed["links"] == []
    [followed] = marketing.get(f"/api/v1/emails/?lead={agreed.pk}").json()
    assert followed["open_url"].startswith("http") and len(followed["links"]) == 1


def test_hits_wait_for_the_fold_without_touching_the_lead_and_the_browser_agent_is_a_person(
    letter_with_link, settings, tmp_path, django_assert_max_num_queries
):
    unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    token = tokens.make(link_of(letter, Purpose.CLICK, emailed=True).pk, tokens.CLICK)
    client = prospect(BROWSER)
    client.get(f"/t/{token}")  # warm the link cache
    with django_assert_max_num_queries(1):  # the INSERT of the hit, nothing else
        client.get(f"/t/{token}")
    hit = Hit.objects.last()
    assert hit.machine == "" and hit.network == "198.51.100.0"  # the address cut to its network


def test_an_offers_letters_scans_and_printed_address_count_for_the_offer(
    letter_template, settings, tmp_path, users, api_as
):
    from tests.factories import live_offer

    offer = live_offer(landing_url="https://www.example.com/spring")
    letter_template.offer = offer
    letter_template.save()
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_template, settings, tmp_path)
    assert _qr_url(letter)
    answer = prospect().get(path_of(_qr_url(letter)))
    assert answer["Location"] == "https://www.example.com/spring"  # the offer's landing page
    report = api_as(users["marketing"]).get("/api/v1/reports/offers/").json()
    [row] = [row for row in report if row["code"] == offer.code]
    printed = row["tracked_url"]
    assert printed.startswith(f"{settings.CRM_BASE_URL}/t/")
    assert prospect().get(path_of(printed))["Location"] == "https://www.example.com/spring"
    fold_all()
    [row] = [
        row for row in api_as(users["marketing"]).get("/api/v1/reports/offers/").json() if row["code"] == offer.code
    ]
    assert (row["scans"], row["clicks"]) == (1, 1)
    assert Interaction.objects.filter(lead=lead, kind="qr_scan", offer=offer).exists()
    csv = api_as(users["marketing"]).get("/api/v1/reports/offers/?format=csv")
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("code,headline,tracked_url,human_opens")
    # A new landing page: the printed address follows it.
    offer.landing_url = "https://www.example.com/summer"
    offer.save()
    assert prospect().get(path_of(printed))["Location"] == "https://www.example.com/summer"


def test_an_address_typed_as_a_name_is_never_tracked_nor_linked(letter_with_link, settings, tmp_path):
    """A web form's first name "https://evil.example/login" merged into a letter must not become a
    tracked link (an open redirect through our host) nor a link in our e-mail."""
    unclosed_lead(consent=True, first_name="https://evil.example/login")
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    email = Email.objects.get(key=f"letter:{letter.pk}")
    assert "https://evil.example/login" in email.text  # said as they wrote it, in plain text
    assert 'href="https://evil.example' not in email.html
    assert not TrackedLink.objects.filter(url__contains="evil").exists()
    assert TrackedLink.objects.filter(url=LANDING).exists()  # the template's own address is tracked


@pytest.mark.parametrize("token", ["5ééééééééééé", "5" + "é" * 11, "ab" + "\u0663" * 11])
def test_tokens_with_any_character_answer_without_an_error(token):
    assert prospect().get(f"/t/{token}").status_code == 302
    assert prospect().get(f"/o/{token}").status_code == 200
    assert prospect().get(f"/f/{token}").status_code == 404


def test_a_token_printed_before_still_reads_the_same_link_at_its_own_door_only(settings):
    """Tokens are on paper and in inboxes for years: their spelling never changes (these were
    made by the first version of tracking.tokens under this secret)."""
    from tracking import tokens

    settings.SECRET_KEY = "a letter printed last year"
    printed = {
        (0, "t"): "0Iz5fs5eiOHc",
        (61, "o"): "zADRytkrCS77",
        (3844, "f"): "100GZo1ZxZ6GyL",
        (123456789, "u"): "8M0kXKOJgWhI75Um",
        (2**40 + 7, "t"): "JMAIjod2clo2dtgnYG",
    }
    for (link_id, door), token in printed.items():
        assert tokens.make(link_id, door) == token
        assert tokens.read(token, door) == link_id
        assert tokens.read(token, "o" if door != "o" else "t") is None


def test_a_backlog_is_folded_before_its_leads_are_rescored_but_a_mark_never_waits_too_long(
    letter_with_link, settings, tmp_path
):
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    path = f"/t/{tokens.make(link_of(letter, Purpose.CLICK, emailed=True).pk, tokens.CLICK)}"
    unscored = Lead.objects.get(pk=lead.pk).score
    for _ in range(5):
        prospect().get(path)
    settings.CRM_TRACKING_FOLD_BATCH = 2
    assert fold_batch() == 2 and PendingRescore.objects.filter(lead=lead).exists()

    # Three hits wait, more than a batch: the lead would be marked again; its rescore waits.
    before = marked_before()
    assert before is not None and rescore_engaged(marked_before=before) == 0
    PendingRescore.objects.update(marked_at=timezone.now() - timedelta(seconds=settings.CRM_TRACKING_RESCORE_WAIT + 1))
    assert rescore_engaged(marked_before=marked_before()) == 1  # waited long enough: rescored meanwhile
    lead.refresh_from_db()
    scored = lead.score
    assert scored > unscored  # the click and its implied open count

    assert fold_batch() == 2 and marked_before() is None  # one hit left: less than a batch, caught up
    assert fold_batch() == 1 and rescore_engaged(marked_before=marked_before()) == 0  # clicks of the day scored once
    assert not PendingRescore.objects.exists() and Lead.objects.get(pk=lead.pk).score == scored


def test_a_batch_stops_before_a_hole_in_the_ids_until_the_hit_being_written_is_old_enough(
    letter_with_link, settings, tmp_path
):
    unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    link = link_of(letter, Purpose.CLICK, emailed=True)
    hits = Hit.objects.bulk_create([Hit(kind=Purpose.CLICK, link_id=link.pk) for _ in range(6)])
    assert fold_batch(2) == 2
    Hit.objects.filter(pk=hits[3].pk).delete()  # the hit after hits[2] still being written, for all we know

    assert fold_batch() == 1  # hits[2], then a young hole: wait
    assert fold_batch() == 0
    Hit.objects.filter(pk__gt=hits[3].pk).update(at=timezone.now() - timedelta(minutes=1))
    assert fold_batch() == 2  # the hole is old enough: nothing will fill it now
    assert fold_batch() == 0 and FoldCursor.objects.get(pk=SCORING).folded == 5


def test_a_deleted_lead_takes_its_hourly_counts_and_rescore_mark_with_it(letter_with_link, settings, tmp_path):
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    prospect().get(f"/t/{tokens.make(link_of(letter, Purpose.CLICK, emailed=True).pk, tokens.CLICK)}")
    assert fold_batch() == 1 and count_batch() == 1
    assert LeadActivity.objects.filter(lead=lead).exists() and PendingRescore.objects.filter(lead=lead).exists()
    Lead.objects.get(pk=lead.pk).delete()  # no foreign key in the database for these: Django's cascade
    assert not LeadActivity.objects.exists() and not PendingRescore.objects.exists()


def test_an_erasure_between_the_two_passes_keeps_the_counts_of_the_hits_it_deletes(
    letter_with_link, settings, tmp_path, users
):
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    prospect().get(f"/t/{tokens.make(link_of(letter, Purpose.CLICK, emailed=True).pk, tokens.CLICK)}")
    assert fold_batch() == 1  # scored: the click's interactions written, its counts not yet

    erase_contact(contact_id=lead.contact_id, by=users["manager"])  # deletes the hit
    assert not Hit.objects.exists()
    assert count_batch() == 1
    letter_tally = Tally.objects.get(scope="letter", ref=str(letter.pk))
    assert (letter_tally.human_opens, letter_tally.clicks) == (1, 1)  # the click and its implied open
    assert list(LeadActivity.objects.filter(lead=lead).values_list("opens", "clicks")) == [(1, 1)]
    assert not count_batch()  # counted once
    assert Tally.objects.get(scope="letter", ref=str(letter.pk)).clicks == 1


def test_the_count_pass_counts_the_batches_the_score_pass_recorded_and_nothing_between(
    letter_with_link, settings, tmp_path
):
    unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    link = link_of(letter, Purpose.CLICK, emailed=True)
    Hit.objects.bulk_create([Hit(kind=Purpose.CLICK, link_id=link.pk) for _ in range(6)])
    assert fold_batch(2) == 2
    # Two hits folded and counted by a worker of the single-pass fold still running after the
    # upgrade: it moved the score pass's cursor and recorded no batch.
    FoldCursor.objects.filter(pk=SCORING).update(last_hit_id=F("last_hit_id") + 2, folded=F("folded") + 2)
    assert fold_batch(2) == 2
    assert count_batch() == 2 and count_batch() == 2 and count_batch() == 0
    assert Tally.objects.get(scope="email", ref=link.email_key).clicks == 4  # not the two in between
