"""The set-based fold of opens and clicks (tracking.opens_and_clicks) against the rules read
plainly, hit by hit in id order: random e-mails, machines, bursts and batch sizes, and every
count, mark and interaction must come out the same."""

import random
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import Interaction
from outbox.models import Email
from tests.factories import ContactFactory, LeadFactory, live_offer
from tracking.fold import count_batch, fold_batch
from tracking.models import Hit, LeadActivity, PendingRescore, Purpose, ScoredMark, Tally, TrackedLink

pytestmark = pytest.mark.django_db

MACHINE_SECONDS = 10


def _book(rng, start):
    """Leads that may or may not be followed, each with an e-mail (a few unsent) holding an open
    image and two links (some for an offer), and an offer's printed address nobody owns."""
    offer = live_offer()
    links = []
    for n in range(8):
        contact = ContactFactory(consent=rng.random() < 0.8, do_not_contact=rng.random() < 0.15)
        lead = LeadFactory(contact=contact)
        key = f"equivalence:{n}"
        sent = None if n == 7 else start
        Email.objects.create(key=key, to_address=contact.email, subject="Spring", text="text", sent_at=sent)
        for purpose, url in ((Purpose.OPEN, ""), (Purpose.CLICK, "https://a.example/"), (Purpose.CLICK, "https://b/")):
            with_offer = offer if purpose == Purpose.CLICK and rng.random() < 0.3 else None
            links.append(
                TrackedLink.objects.create(purpose=purpose, url=url, lead=lead, email_key=key, offer=with_offer)
            )
    links.append(TrackedLink.objects.create(purpose=Purpose.CLICK, url="https://c/", offer=offer))
    # An e-mail the outbox no longer holds (its hits are a machine's: not known to be sent), and
    # a link deleted after its hits came (its contact erased): nothing is recorded for those.
    lead = LeadFactory(contact=ContactFactory(consent=True))
    links.append(TrackedLink.objects.create(purpose=Purpose.CLICK, url="https://d/", lead=lead, email_key="gone"))
    links.append(TrackedLink.objects.create(purpose=Purpose.CLICK, url="https://e/", lead=lead, email_key="gone"))
    return links


def _hits(rng, links, start, count):
    """Hits over two days from a few seconds before sending, with bursts: one e-mail's two links
    clicked in the same second, as a scanner does."""
    hits = []
    while len(hits) < count:
        link = rng.choice(links)
        at = start + timedelta(seconds=rng.choice([rng.uniform(-3, 30), rng.uniform(0, 2 * 86400)]))
        machine = "scanner or preview" if rng.random() < 0.2 else ""
        hits.append(Hit(at=at, kind=link.purpose, link_id=link.pk, machine=machine))
        siblings = [other for other in links if other.email_key == link.email_key and other.pk != link.pk]
        if link.email_key and rng.random() < 0.1:
            other = rng.choice([o for o in siblings if o.purpose == Purpose.CLICK])
            hits.append(Hit(at=at.replace(microsecond=0), kind=Purpose.CLICK, link_id=other.pk))
    return hits


def _plainly(hits, links, batch):
    """What the rules say, read hit by hit in id order, one batch of `batch` hits at a time."""
    by_id = {link.pk: link for link in links}
    sent = dict(Email.objects.values_list("key", "sent_at"))
    deleted = links[-1].pk
    followed = {
        link.lead_id
        for link in links
        if link.lead_id and link.lead.contact.consent and not link.lead.contact.do_not_contact
    }
    tally, activity, marks, interactions = defaultdict(Counter), defaultdict(Counter), set(), Counter()
    pending = {}  # lead -> the newest interaction written for it
    for start in range(0, len(hits), batch):
        chunk = hits[start : start + batch]
        seconds = defaultdict(set)
        for hit in chunk:
            if hit.kind == Purpose.CLICK and by_id[hit.link_id].email_key:
                seconds[(by_id[hit.link_id].email_key, hit.at.replace(microsecond=0))].add(hit.link_id)
        for hit in chunk:
            if hit.link_id == deleted:
                continue
            link = by_id[hit.link_id]
            at_once = len(seconds.get((link.email_key, hit.at.replace(microsecond=0)), ())) > 1
            too_soon = link.email_key and (
                sent.get(link.email_key) is None or hit.at - sent[link.email_key] < timedelta(seconds=MACHINE_SECONDS)
            )
            machine = bool(hit.machine) or bool(too_soon) or (hit.kind == Purpose.CLICK and at_once)
            field = {Purpose.OPEN: "opens", Purpose.CLICK: "clicks"}[hit.kind]
            counted = [("email", link.email_key)] if link.email_key else []
            counted += [("offer", str(link.offer_id))] if link.offer_id else []
            hour = hit.at.replace(minute=0, second=0, microsecond=0)
            for scope in counted:
                tally[scope][f"machine_{field}" if machine else field] += 1
            if link.lead_id and (field == "opens" or not machine):  # a machine's click is no lead's activity
                activity[(link.lead_id, hour)][f"machine_{field}" if machine else field] += 1
            if machine or not link.lead_id:
                continue
            day = hit.at.date().isoformat()
            if link.email_key and f"o:{link.email_key}:{day}" not in marks:
                marks.add(f"o:{link.email_key}:{day}")
                if hit.kind == Purpose.CLICK:
                    for scope in counted:
                        tally[scope]["opens"] += 1
                    activity[(link.lead_id, hour)]["opens"] += 1
                if link.lead_id in followed:
                    interactions[(link.lead_id, "email_open", hit.at, (("email", link.email_key),))] += 1
                    pending[link.lead_id] = max(hit.at, pending.get(link.lead_id, hit.at))
            if hit.kind == Purpose.CLICK and f"c:{link.pk}:{day}" not in marks:
                marks.add(f"c:{link.pk}:{day}")
                metadata = (("email", link.email_key),) if link.email_key else ()
                if link.lead_id in followed:
                    interactions[(link.lead_id, "email_click", hit.at, (("link", link.url), *metadata))] += 1
                    pending[link.lead_id] = max(hit.at, pending.get(link.lead_id, hit.at))
    return tally, activity, marks, interactions, pending


def _stored():
    tally = {
        (row.scope, row.ref): Counter(
            opens=row.human_opens,
            machine_opens=row.machine_opens,
            clicks=row.clicks,
            machine_clicks=row.machine_clicks,
        )
        for row in Tally.objects.all()
    }
    activity = {
        (row.lead_id, row.hour): Counter(opens=row.opens, machine_opens=row.machine_opens, clicks=row.clicks)
        for row in LeadActivity.objects.all()
    }
    interactions = Counter(
        (row.lead_id, row.kind, row.occurred_at, tuple(sorted(row.metadata.items())))
        for row in Interaction.objects.filter(kind__in=["email_open", "email_click"])
    )
    pending = dict(PendingRescore.objects.values_list("lead_id", "last_activity_at"))
    return tally, activity, set(ScoredMark.objects.values_list("key", flat=True)), interactions, pending


@pytest.mark.parametrize("seed", range(4))
def test_the_set_based_fold_counts_marks_and_scores_as_the_rules_read_hit_by_hit(seed, settings):
    settings.CRM_TRACKING_MACHINE_SECONDS = MACHINE_SECONDS
    rng = random.Random(seed)
    start = (timezone.now() - timedelta(days=3)).replace(microsecond=0)
    links = _book(rng, start)
    hits = Hit.objects.bulk_create(_hits(rng, links, start, 160))
    TrackedLink.objects.filter(pk=links[-1].pk).delete()
    batch = rng.choice([7, 25, 60, 1000])
    while fold_batch(batch):
        if rng.random() < 0.5:
            count_batch()  # the count pass a batch or more behind
    while count_batch():
        pass

    tally, activity, marks, interactions, pending = _plainly(hits, links, batch)
    stored_tally, stored_activity, stored_marks, stored_interactions, stored_pending = _stored()
    assert stored_tally == {key: +counts for key, counts in tally.items()}
    assert stored_activity == {key: +counts for key, counts in activity.items() if +counts}
    assert stored_marks == marks
    assert stored_interactions == Counter(
        {(lead, kind, at, tuple(sorted(meta))): n for (lead, kind, at, meta), n in interactions.items()}
    )
    assert stored_pending == pending  # each lead marked once, with its newest interaction's time
    assert sum(interactions.values()) > 5 and any(counts["machine_clicks"] for counts in tally.values())
