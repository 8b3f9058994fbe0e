"""Merging two records of one person (leads.merging.merge_contacts): every lead, interaction and
history of both ends up with the kept contact, blank fields are filled and never overwritten, the
merge is on every lead's timeline and in an audit row, and a refusal changes nothing."""

import pytest
from django.core.exceptions import ValidationError

from config.errors import Conflict
from crm.models import Company, Contact
from data_rights.services import erase_contact
from leads.kinds import Stage
from leads.merging import merge_contacts, review_merge
from leads.models import ContactMerge, Interaction, Lead, StageChange
from leads.selectors import lead_timeline
from scoring.models import ScoreChange
from tests.factories import ContactFactory, LeadFactory, lead_after, sales_ready_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def harbor():
    return Company.objects.create(name="Harbor Logistics", size_band="50-249")


@pytest.fixture
def pair(harbor):
    """Ann Lee twice: once by phone with no e-mail, once by web form from her other address,
    with her title. Each has an open lead with a history."""
    kept = ContactFactory(first_name="Ann", last_name="Lee", email="ann@harbor.example", phone="", company=harbor)
    merged = ContactFactory(
        first_name="Ann", last_name="Lee", email="ann.lee@gmail.com", phone="+16175550142", title="Owner", company=None
    )
    kept_lead = lead_after("call_inbound", contact=kept)
    merged_lead = lead_after("form", "web_visit", contact=merged)
    return kept, merged, kept_lead, merged_lead


def history(lead):
    return (
        list(lead.interactions.order_by("pk").values_list("pk", flat=True)),
        list(StageChange.objects.filter(lead=lead).order_by("pk").values_list("pk", flat=True)),
        list(ScoreChange.objects.filter(lead=lead).order_by("pk").values_list("pk", flat=True)),
    )


def test_the_merged_contacts_leads_move_to_the_kept_one_with_all_their_history(pair, users):
    kept, merged, kept_lead, merged_lead = pair
    before = {lead.pk: history(lead) for lead in (kept_lead, merged_lead)}

    result = merge_contacts(keep_id=kept.pk, merge_id=merged.pk, by=users["manager"])

    assert not Contact.objects.filter(pk=merged.pk).exists()
    assert set(Lead.objects.filter(contact=kept).values_list("pk", flat=True)) == {kept_lead.pk, merged_lead.pk}
    assert {lead.pk for lead in result.leads} == {kept_lead.pk, merged_lead.pk}
    for lead in (kept_lead, merged_lead):
        interactions, stages, scores = history(lead)
        old_interactions, old_stages, old_scores = before[lead.pk]
        assert interactions[: len(old_interactions)] == old_interactions  # nothing lost, one note added
        assert len(interactions) == len(old_interactions) + 1
        assert stages[: len(old_stages)] == old_stages and scores[: len(old_scores)] == old_scores


def test_blank_fields_of_the_kept_contact_are_filled_and_none_is_overwritten(pair, users, harbor):
    kept, merged, *_ = pair

    merge_contacts(keep_id=kept.pk, merge_id=merged.pk, by=users["manager"])

    kept.refresh_from_db()
    assert kept.email == "ann@harbor.example"  # its own, not the merged record's
    assert kept.phone == "+16175550142"  # it had none: the merged record's, which was unique to it
    assert kept.title == "Owner"
    assert kept.company == harbor  # the merged record had none: the kept one's stays


def test_the_merge_is_on_every_leads_timeline_and_in_an_audit_row(pair, users):
    kept, merged, kept_lead, merged_lead = pair

    merge_contacts(keep_id=kept.pk, merge_id=merged.pk, by=users["manager"])

    record = ContactMerge.objects.get()
    assert (record.kept_id, record.merged_contact_id, record.merged_by) == (kept.pk, merged.pk, users["manager"])
    assert (record.merged_name, record.merged_email, record.merged_phone) == (
        "Ann Lee",
        "ann.lee@gmail.com",
        "+16175550142",
    )
    assert record.leads_moved == [merged_lead.pk]
    assert record.filled == ["title", "phone"]
    for lead in (kept_lead, merged_lead):
        note = lead.interactions.get(kind="note")
        assert note.author == users["manager"] and note.metadata == {"merge": record.pk}
        assert f"#{merged.pk} Ann Lee · ann.lee@gmail.com · (617) 555-0142 merged into #{kept.pk} Ann Lee" in note.note
        assert f"Leads moved from it: #{merged_lead.pk}." in note.note
        assert "Filled in from it: title, phone." in note.note
        entries = [entry for entry in lead_timeline(lead) if entry["type"] == "interaction"]
        assert entries[0]["item"] == note  # the newest entry of its timeline


def test_both_open_leads_stay_open_with_their_owners(pair, users):
    kept, merged, kept_lead, _ = pair
    owned = sales_ready_lead(owner=users["sales"], contact=merged)

    merge_contacts(keep_id=kept.pk, merge_id=merged.pk, by=users["manager"])

    owned.refresh_from_db()
    kept_lead.refresh_from_db()
    assert (owned.contact_id, owned.stage, owned.owner) == (kept.pk, Stage.SALES_READY, users["sales"])
    assert kept_lead.stage == Stage.INQUIRY
    assert Lead.objects.filter(contact=kept, stage__in=[Stage.INQUIRY, Stage.SALES_READY]).count() == 3


def test_each_lead_is_rescored_with_the_facts_of_the_merged_contact(pair, users):
    """The kept contact gains the title "Owner" (5 points for a decision maker's title) and its
    company is of the best customers' size (5 more for the merged record's lead, which had none)."""
    kept, merged, kept_lead, merged_lead = pair
    scores = {kept_lead.pk: kept_lead.score, merged_lead.pk: merged_lead.score}

    merge_contacts(keep_id=kept.pk, merge_id=merged.pk, by=users["manager"])

    kept_lead.refresh_from_db()
    merged_lead.refresh_from_db()
    assert kept_lead.score == scores[kept_lead.pk] + 5
    assert merged_lead.score == scores[merged_lead.pk] + 5
    assert ScoreChange.objects.filter(lead=kept_lead).latest("changed_at").reason == "Contacts merged"


def test_do_not_contact_on_either_record_stays_on(pair, users):
    kept, merged, *_ = pair
    Contact.objects.filter(pk=merged.pk).update(do_not_contact=True)
    Contact.objects.filter(pk=kept.pk).update(consent=True)

    merge_contacts(keep_id=kept.pk, merge_id=merged.pk, by=users["manager"])

    kept.refresh_from_db()
    assert kept.do_not_contact
    assert "do_not_contact" in ContactMerge.objects.get().filled


def test_a_record_merged_before_brings_its_own_merges_along(harbor, users):
    first, second, third = (ContactFactory(first_name="Ann", last_name="Lee", company=harbor) for _ in range(3))
    merge_contacts(keep_id=second.pk, merge_id=third.pk, by=users["manager"])

    merge_contacts(keep_id=first.pk, merge_id=second.pk, by=users["manager"])

    assert set(ContactMerge.objects.values_list("kept_id", flat=True)) == {first.pk}
    assert sorted(ContactMerge.objects.values_list("merged_contact_id", flat=True)) == [second.pk, third.pk]


def test_a_contact_merged_into_itself_is_refused(pair, users):
    kept, *_ = pair
    with pytest.raises(ValidationError) as refused:
        merge_contacts(keep_id=kept.pk, merge_id=kept.pk, by=users["manager"])
    assert refused.value.message_dict == {
        "merge": ["A contact cannot be merged into itself: choose two different contacts."]
    }
    assert not ContactMerge.objects.exists()


@pytest.mark.parametrize("which", ["keep", "merge"])
def test_an_erased_contact_is_refused_and_nothing_changes(pair, users, which):
    kept, merged, kept_lead, merged_lead = pair
    erase_contact(contact_id=(kept if which == "keep" else merged).pk, by=users["manager"])
    notes = Interaction.objects.filter(kind="note").count()

    with pytest.raises(Conflict) as refused:
        merge_contacts(keep_id=kept.pk, merge_id=merged.pk, by=users["manager"])

    assert "erased on request" in refused.value.detail and "cannot be merged" in refused.value.detail
    assert Contact.objects.filter(pk__in=[kept.pk, merged.pk]).count() == 2
    assert Lead.objects.get(pk=merged_lead.pk).contact_id == merged.pk
    assert Interaction.objects.filter(kind="note").count() == notes
    assert not ContactMerge.objects.exists()


def test_a_contact_merged_away_already_says_where_it_went(pair, users):
    kept, merged, *_ = pair
    merge_contacts(keep_id=kept.pk, merge_id=merged.pk, by=users["manager"])
    other = ContactFactory()

    with pytest.raises(Conflict) as refused:
        merge_contacts(keep_id=other.pk, merge_id=merged.pk, by=users["manager"])

    assert refused.value.detail == f"Contact #{merged.pk} was already merged into contact #{kept.pk}."
    assert ContactMerge.objects.count() == 1


def test_an_unknown_contact_is_not_found(pair, users):
    kept, *_ = pair
    with pytest.raises(Contact.DoesNotExist):
        merge_contacts(keep_id=kept.pk, merge_id=10**9, by=users["manager"])


def test_the_review_says_what_the_merge_will_do_and_writes_nothing(pair):
    kept, merged, kept_lead, merged_lead = pair

    plan = review_merge(keep_id=kept.pk, merge_id=merged.pk)

    assert plan.fills == {"title": "Owner", "phone": "+16175550142"}
    assert plan.leads_moving == [merged_lead] and plan.leads_staying == [kept_lead]
    assert Contact.objects.filter(pk=merged.pk).exists() and not ContactMerge.objects.exists()


def test_a_contact_without_leads_merges_too(harbor, users):
    kept = ContactFactory(first_name="Ann", last_name="Lee", company=harbor)
    merged = ContactFactory(first_name="Ann", last_name="Lee", company=harbor, mailing_address="1 Dock Road")
    LeadFactory(contact=kept)

    result = merge_contacts(keep_id=kept.pk, merge_id=merged.pk, by=None)

    assert result.contact.mailing_address == "1 Dock Road"
    assert ContactMerge.objects.get().leads_moved == []
