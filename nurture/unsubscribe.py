"""Unsubscribing from marketing e-mail: the link at the end of every marketing e-mail and the
one-click POST mail providers make from its List-Unsubscribe header (RFC 8058).

The address is {base}/u/<token>, the token the e-mail's open image's id signed for the "u" door
(tracking.tokens): nothing about the person is in it. A GET shows a page with one button and
changes nothing (link scanners open every link in an e-mail: a GET that unsubscribed would
unsubscribe everyone behind one); a POST, from the button or from the provider, withdraws the
contact's consent to marketing and ends every enrolment of theirs at once (reason unsubscribed),
in one transaction. From then on no letter e-mail, template e-mail or sequence e-mail goes to
them, and their opens and clicks are no longer followed: every sender asks for the consent. Doing
it twice changes nothing more; a token that is forged, or whose e-mail was erased, answers 404.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from crm.models import Contact
from leads.kinds import InteractionKind
from leads.models import Lead
from leads.services import record_interaction
from nurture import ends
from nurture.models import Enrolment, EnrolmentStatus, ExitReason
from scoring.services import published_rule_book
from tracking import tokens
from tracking.models import Purpose, TrackedLink


def lead_of(token: str) -> Lead | None:
    link_id = tokens.read(token, tokens.UNSUBSCRIBE)
    if link_id is None:
        return None
    link = TrackedLink.objects.filter(pk=link_id, purpose=Purpose.OPEN, lead__isnull=False).first()
    return Lead.objects.select_related("contact").filter(pk=link.lead_id).first() if link else None


def unsubscribe(lead: Lead) -> int:
    """Withdraw the lead's contact's consent to marketing and end their enrolments; returns how
    many enrolments ended. Logged on the lead's timeline once, when it changed something."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=lead.contact_id)
        if contact.erased_at is not None:
            return 0
        was = contact.consent
        if was:
            Contact.objects.filter(pk=contact.pk).update(consent=False, updated_at=timezone.now())
        ids = list(
            Enrolment.objects.filter(lead__contact=contact, status=EnrolmentStatus.ACTIVE).values_list("pk", flat=True)
        )
        ended = ends.end(ids, reason=ExitReason.UNSUBSCRIBED) if ids else 0
        if was or ended:
            note = "Unsubscribed from marketing e-mail (the link in an e-mail): consent to marketing withdrawn."
            lead = Lead.objects.select_for_update(of=("self",)).get(pk=lead.pk)
            record_interaction(lead, kind=InteractionKind.NOTE, book=published_rule_book(), note=note)
    return ended


@csrf_exempt  # mail providers POST here with no cookie; the signed token is the authority
@never_cache
def unsubscribe_page(request, token: str):
    lead = lead_of(token)
    context = {"company": settings.CRM_COMPANY_NAME}
    if lead is None or lead.contact.erased_at is not None:
        return render(request, "nurture/unsubscribe.html", context | {"gone": True}, status=404)
    if request.method == "POST":
        unsubscribe(lead)
        return render(request, "nurture/unsubscribe.html", context | {"done": True})
    return render(request, "nurture/unsubscribe.html", context | {"email": _masked(lead.contact.email)})


def _masked(address: str) -> str:
    """j…@example.com: enough to know it is theirs, not enough to learn it from a forwarded link."""
    local, _at, domain = (address or "").partition("@")
    return f"{local[:1]}…@{domain}" if domain else ""
