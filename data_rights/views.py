"""The manager's data-rights pages: a contact's export as a download, and erasure behind a
confirmation page. Thin: the work is in data_rights.services and selectors."""

import json

from django import forms
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from config.errors import Conflict
from config.ids import parse_id
from crm.access import role_required
from crm.models import Contact
from crm.roles import Role
from crm.submissions import submit_once
from data_rights.selectors import erasure_preview, export_contact
from data_rights.services import erase_contact

managers_only = role_required(Role.MANAGER)


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand: this contact's personal data will be erased and cannot be brought back.",
        error_messages={"required": "Tick the box to confirm the erasure."},
    )


@managers_only
def contact_export(request, pk):
    """Everything held about the contact, as a JSON file to hand to them."""
    contact = get_object_or_404(Contact, pk=pk)
    body = json.dumps(export_contact(contact), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}-export.json"'
    response["Cache-Control"] = "no-store"
    return response


def _back_to(contact, lead_id) -> str:
    """The lead page the manager came from, when it is this contact's; else their newest lead."""
    from django.urls import reverse

    leads = contact.leads.order_by("-created_at", "-id")
    lead = leads.filter(pk=lead_id).first() if lead_id else None
    lead = lead or leads.first()
    return reverse("lead-detail", args=[lead.pk]) if lead else reverse("lead-list")


@managers_only
@require_http_methods(["GET", "POST"])
def contact_erase(request, pk):
    """What erasing will do, and a tick box to confirm it. The form carries a one-time token, so
    a double click erases once; erasing an erased contact changes nothing and says so."""
    contact = get_object_or_404(Contact, pk=pk)
    lead_id = parse_id(request.POST.get("lead") if request.method == "POST" else request.GET.get("lead"))
    back = _back_to(contact, lead_id)
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            _, first = submit_once(request, lambda: erase_contact(contact_id=contact.pk, by=request.user).pk)
        except Conflict as exc:
            messages.info(request, exc.detail)
        else:
            if first:
                messages.success(
                    request,
                    "The contact was erased: their personal data is gone, their figures stay, and their "
                    "e-mail and phone are on the suppression list.",
                )
            else:
                messages.info(request, "Already erased: the form arrived twice and erased once.")
        return redirect(back)
    context = {
        "contact": contact,
        "form": form,
        "back": back,
        "lead_id": lead_id or "",
        "preview": erasure_preview(contact) if contact.erased_at is None else None,
    }
    return render(request, "crm/contact_erase.html", context, status=400 if form.errors else 200)
