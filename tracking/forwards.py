"""The forward form (/f/<token>): a prospect passes a letter or e-mail on to someone who might
need it. The person it reached fills in the short form; they come in through the one intake as a
`referral` lead whose referrer is the original lead (as a customer's referral does), and the
original lead gets an `email_forward` interaction, counted for its e-mail, letter and offer.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from config import throttling
from config.errors import Conflict
from config.text import validate_one_line
from leads import intake
from leads.kinds import InteractionKind, Source
from leads.models import Lead
from leads.services import record_interaction
from scoring.services import published_rule_book
from tracking import fold, tokens
from tracking.hits import request_facts
from tracking.models import Purpose, TrackedLink

FORWARDS_PER_NETWORK_HOUR = 20


class ForwardForm(forms.Form):
    first_name = forms.CharField(max_length=100, validators=[validate_one_line])
    last_name = forms.CharField(max_length=100, required=False, validators=[validate_one_line])
    email = forms.EmailField(max_length=254, required=False)
    phone = forms.CharField(max_length=40, required=False, validators=[validate_one_line])
    company = forms.CharField(max_length=200, required=False, validators=[validate_one_line])
    consent = forms.BooleanField(required=False, label="You may send me offers by e-mail")
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def clean(self):
        data = super().clean()
        if data.get("website"):
            raise ValidationError("Leave the last field empty.")
        if not data.get("email") and not data.get("phone"):
            raise ValidationError("Give an e-mail address or a phone number, so we can reach you.")
        return data


def forward_link(token: str) -> TrackedLink | None:
    link_id = tokens.read(token, tokens.FORWARD)
    if link_id is None:
        return None
    return TrackedLink.objects.filter(pk=link_id, purpose=Purpose.FORWARD, lead__isnull=False).first()


def forward(link: TrackedLink, *, first_name, last_name="", email="", phone="", company="", consent=False):
    """The person a letter or e-mail reached comes in as a referral of its lead; that lead gets
    `email_forward`. One transaction; an erased original lead's forward is refused (409)."""
    with transaction.atomic():
        # FOR NO KEY UPDATE: the counts below may wait for a fold batch, whose commit share-locks
        # this lead (its interactions' foreign keys); FOR UPDATE would make that a deadlock.
        referrer = (
            Lead.objects.select_for_update(of=("self",), no_key=True)
            .select_related("contact__company")
            .get(pk=link.lead_id)
        )
        received = intake.receive(
            intake.Arrival(
                person=intake.Person(
                    first_name=first_name,
                    last_name=last_name,
                    email=email,
                    phone=phone,
                    company=company,
                    consent=consent,
                ),
                kind=InteractionKind.REFERRAL,
                source=Source.REFERRAL,
                stage_reason=f"Passed on by {referrer.contact}",
                inquiry_reason=f"Passed on by {referrer.contact}",
                metadata={"referrer_lead": referrer.pk, "forwarded": True},
                referrer=referrer,
            )
        )
        metadata = {"referred_lead": received.lead.pk} | ({"email": link.email_key} if link.email_key else {})
        record_interaction(referrer, kind=InteractionKind.EMAIL_FORWARD, book=published_rule_book(), metadata=metadata)
        fold.count_forward(link, timezone.now())
    return received


@never_cache
def forward_page(request, token: str):
    """GET: the short form; POST: the person comes in (at most FORWARDS_PER_NETWORK_HOUR a network)."""
    link = forward_link(token)
    context = {"company": settings.CRM_COMPANY_NAME, "link": link}
    if link is None:
        return render(request, "tracking/forward.html", context | {"gone": True}, status=404)
    form = ForwardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key, _retry = throttling.window_key(f"forward:{request_facts(request)['network']}", 3600)
        if throttling.hit(key, ttl=3601) > FORWARDS_PER_NETWORK_HOUR:
            form.add_error(None, "Too many people passed on from here this hour; please try again later.")
        else:
            data = form.cleaned_data
            try:
                forward(
                    link,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    phone=data["phone"],
                    company=data["company"],
                    consent=data["consent"],
                )
            except Conflict:  # the original lead's contact was erased: nothing is recorded about them
                return render(request, "tracking/forward.html", context | {"gone": True}, status=404)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                return render(request, "tracking/forward.html", context | {"done": True})
    return render(request, "tracking/forward.html", context | {"form": form}, status=400 if form.errors else 200)
