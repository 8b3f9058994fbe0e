"""The fold against what locks a lead while it runs, on PostgreSQL: an erasure waits for a batch of
either pass (score, count) that is about to commit, a forward for the count pass's counters, and
neither deadlocks with it. (The score pass locks no lead, but its commit checks its interactions'
foreign keys with KEY SHARE on their leads.)"""

import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from data_rights.services import erase_contact
from leads.models import Interaction
from tests.followups.conftest import unclosed_lead
from tests.tracking.conftest import LANDING, link_of, prospect, send_letters
from tracking import fold, forwards, tokens
from tracking.models import Hit, HitKind, LeadActivity, Purpose, Tally, Visit, Visitor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _wait_until_blocked(seconds: float = 10) -> bool:
    """Whether another session of this database came to wait for a lock within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # read afresh inside the batch's transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def _while_a_batch_commits(monkeypatch, action, batch):
    """Run a batch of a pass (fold.fold_batch or fold.count_batch), running `action` in another
    thread just before the batch commits (after every write of the batch, as its cursor moves),
    and let the batch commit once `action` waits for a lock. Returns what `action` raised, if
    anything, and whether it was seen waiting."""
    outcome = {}

    def act():
        try:
            action()
        except Exception as error:  # noqa: BLE001 (reported to the test)
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=act)
    moved = fold._move

    def before_commit(*args, **kwargs):
        moved(*args, **kwargs)
        thread.start()
        outcome["waited"] = _wait_until_blocked()

    monkeypatch.setattr(fold, "_move", before_commit)
    assert batch() == 2
    thread.join(30)
    return outcome


def _clicked_letter(letter_with_link, settings, tmp_path):
    lead = unclosed_lead(consent=True)
    [letter] = send_letters(letter_with_link, settings, tmp_path)
    path = f"/t/{tokens.make(link_of(letter, Purpose.CLICK, emailed=True).pk, tokens.CLICK)}"
    for _ in range(2):
        prospect().get(path)
    assert Hit.objects.count() == 2
    return lead, letter


@pytest.mark.parametrize("counting", [False, True], ids=["score pass", "count pass"])
def test_an_erasure_during_a_fold_batch_waits_for_it_and_neither_deadlocks(
    counting, letter_with_link, settings, tmp_path, users, monkeypatch
):
    lead, _letter = _clicked_letter(letter_with_link, settings, tmp_path)
    if counting:
        assert fold.fold_batch() == 2
    outcome = _while_a_batch_commits(
        monkeypatch,
        lambda: erase_contact(contact_id=lead.contact_id, by=users["manager"]),
        fold.count_batch if counting else fold.fold_batch,
    )
    assert outcome.get("waited") and "error" not in outcome, outcome
    lead.contact.refresh_from_db()
    assert lead.contact.erased_at is not None
    assert Interaction.objects.filter(lead=lead, kind="email_click").count() == 1  # folded, then erased with the rest


def test_a_forward_during_a_count_batch_waits_for_its_counts_and_neither_deadlocks(
    letter_with_link, settings, tmp_path, monkeypatch
):
    lead, letter = _clicked_letter(letter_with_link, settings, tmp_path)
    link = link_of(letter, Purpose.FORWARD, emailed=True)  # the e-mail's "pass it on" form
    assert fold.fold_batch() == 2
    outcome = _while_a_batch_commits(
        monkeypatch, lambda: forwards.forward(link, first_name="Ada", email="ada@b.test"), fold.count_batch
    )
    assert outcome.get("waited") and "error" not in outcome, outcome
    email = Tally.objects.get(scope="email", ref=link.email_key)
    assert (email.clicks, email.human_opens, email.forwards) == (2, 1, 1)
    assert Interaction.objects.filter(lead=lead, kind="email_forward").count() == 1


def test_a_count_batch_beside_a_score_batch_joining_known_visits_does_not_deadlock(
    letter_with_link, settings, tmp_path, site_key, monkeypatch
):
    """The score pass writes lead-hour counters for a batch's page views, then for the visits it
    joins to newly known visitors: two rounds, each in key order. In one transaction they could
    take rows out of order against the count pass's one round (two leads, each's hour row held by
    one side and wanted by the other); the join runs in a transaction of its own."""
    first, second = unclosed_lead(consent=True), unclosed_lead(consent=True)
    for letter in send_letters(letter_with_link, settings, tmp_path):
        prospect().get(f"/t/{tokens.make(link_of(letter, Purpose.CLICK, emailed=True).pk, tokens.CLICK)}")
    assert fold.fold_batch() == 2  # scored, not counted: the count pass will write both leads' hour rows
    now, (key, _raw) = timezone.now(), site_key
    known = {
        lead: Visitor.objects.create(
            token=f"visitor{lead.pk:09d}", site_key=key, lead=lead, first_seen_at=now, last_seen_at=now
        )
        for lead in (first, second)
    }
    Visit.objects.create(visitor=known[first], started_at=now, last_hit_at=now, pages=1, landing_url=LANDING)
    Hit.objects.create(kind=HitKind.VIEW, visitor=known[second].token, url=LANDING, site_key_id=key.pk, at=now)

    joining, go, outcome = threading.Event(), threading.Event(), {}
    join = fold.join_known_visits

    def paused_join(*args, **kwargs):
        joining.set()
        go.wait(20)
        return join(*args, **kwargs)

    monkeypatch.setattr(fold, "join_known_visits", paused_join)

    def run(name, batch):
        try:
            outcome[name] = batch()
        except Exception as error:  # noqa: BLE001 (reported to the test)
            outcome[name] = error
        finally:
            connection.close()

    score = threading.Thread(target=run, args=("score", fold.fold_batch))
    score.start()
    assert joining.wait(20)
    count = threading.Thread(target=run, args=("count", fold.count_batch))
    count.start()
    _wait_until_blocked(2)  # the count pass under way (it would wait for the page view's hour row)
    go.set()
    score.join(30)
    count.join(30)
    assert outcome == {"score": 1, "count": 2}, outcome
    assert LeadActivity.objects.get(lead=first).visits == 1 and LeadActivity.objects.get(lead=second).visits == 1
