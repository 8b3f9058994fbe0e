"""Website visitors becoming known."""

from django.utils import timezone

from tracking.models import Visitor


def identify(visitor: str, lead) -> None:
    """The script's visitor id belongs to `lead` (it sent a web form with it, or followed a
    tracked link of theirs to the site). Their visits so far join the lead at the next fold
    (tracking.fold.join_known_visits); an id already known as someone else's stays theirs: one
    browser shared by two people must not hand one's visits to the other. A contact who did not
    agree to marketing, or asked us to stay away, is not followed on the site: their visits stay
    anonymous (counted, never theirs)."""
    if not lead.contact.consent or lead.contact.do_not_contact:
        return
    now = timezone.now()
    # The fold may be writing the same id at this moment: whoever wrote the row, it gets the lead.
    Visitor.objects.get_or_create(token=visitor, defaults={"lead": lead, "first_seen_at": now, "last_seen_at": now})
    Visitor.objects.filter(token=visitor, lead__isnull=True).update(lead=lead)
