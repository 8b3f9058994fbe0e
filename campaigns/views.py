"""Marketing's pages (campaigns, the offer editor, launch) and everyone's staff briefing."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from campaigns import selectors, services
from campaigns.briefing import briefing
from campaigns.forms import CampaignForm, OfferForm, PlacementFormSet
from campaigns.models import Campaign, Offer, OfferStatus
from config.errors import error_text
from crm.access import role_required, staff_required
from crm.roles import Role

marketing_only = role_required(Role.MARKETING, Role.MANAGER)


@staff_required
def briefing_page(request):
    return render(request, "campaigns/briefing.html", briefing())


def _show_errors(form, exc: ValidationError) -> None:
    """A service's refusal beside the form's fields (the rest above the form)."""
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@marketing_only
def campaign_list(request):
    """The open campaigns with their offers, the archived ones too with `?archived=1`, and the
    form for a new campaign."""
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.save_campaign(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, f"Campaign “{campaign.name}” created.")
            return redirect("campaign-list")
    with_archived = request.GET.get("archived") == "1"
    context = {
        "campaigns": selectors.campaigns_for_list(with_archived=with_archived),
        "with_archived": with_archived,
        "archived_count": Campaign.objects.filter(archived=True).count(),
        "form": form,
    }
    return render(request, "campaigns/campaign_list.html", context, status=400 if form.errors else 200)


@marketing_only
def campaign_edit(request, pk):
    """Rename a campaign or change its description; archive or restore it."""
    campaign = get_object_or_404(Campaign, pk=pk)
    saved_name = campaign.name
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_campaign(campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, f"Campaign “{campaign.name}” saved.")
            return redirect("campaign-list")
    context = {"form": form, "campaign": campaign, "saved_name": saved_name}
    return render(request, "campaigns/campaign_form.html", context, status=400 if form.errors else 200)


@marketing_only
@require_POST
def campaign_archive(request, pk, archived: bool):
    """Archive a campaign (hidden, closed to new offers; its live offers run on) or restore it."""
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        services.save_campaign(campaign=campaign, archived=archived)
    except ValidationError as exc:  # e.g. its name now clashes with another campaign's
        messages.error(request, error_text(exc))
        return redirect("campaign-list")
    if not archived:
        messages.success(request, f"Campaign “{campaign.name}” restored: it takes new offers again.")
        return redirect("campaign-list")
    live = [offer.code for offer in campaign.offers.all() if offer.status == OfferStatus.LIVE]
    text = f"Campaign “{campaign.name}” archived: it is hidden from the list and takes no new offers."
    if live:
        text += f" Its live offers ({', '.join(live)}) run until their deadlines."
    messages.success(request, text)
    return redirect("campaign-list")


@marketing_only
def offer_edit(request, pk=None):
    """Create or edit an offer with its placements; every error shows beside its field at once,
    the offer's and the placements' together."""
    offer = get_object_or_404(Offer.objects.select_related("campaign"), pk=pk) if pk else None
    form = OfferForm(request.POST or None, instance=offer, preselect_campaign=request.GET.get("campaign"))
    placements = PlacementFormSet(request.POST or None, instance=offer or Offer(), prefix="placements")
    if request.method == "POST":
        offer_valid = form.is_valid()
        placements_valid = placements.is_valid()  # validated even when the offer is not: all errors at once
        if offer_valid and placements_valid:
            rows = [
                {"id": data["id"].pk if data.get("id") else None}
                | {name: data[name] for name in services.PLACEMENT_FIELDS}
                for data in placements.cleaned_data
                if data and not data.get("DELETE")
            ]
            try:
                saved = services.save_offer(offer=offer, placements=rows, **form.cleaned_data)
            except ValidationError as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, f"Offer {saved.code} saved.")
                return redirect("offer-edit", pk=saved.pk)
    reasons = services.launch_reasons(offer) if offer and offer.launched_at is None else []
    context = {
        "form": form,
        "placements": placements,
        "offer": offer,
        "launch_reasons": reasons,
        "ad_cost": sum(p.cost for p in offer.placements.all()) if offer else None,
    }
    return render(request, "campaigns/offer_form.html", context, status=400 if request.method == "POST" else 200)


@marketing_only
@require_POST
def offer_launch(request, pk):
    try:
        offer = services.launch_offer(offer_id=pk, by=request.user)
    except ValidationError as exc:
        for reason in exc.message_dict.get("launch", []):
            messages.error(request, reason)
    else:
        messages.success(request, f"{offer.code} is live: it is on the staff briefing now.")
    return redirect("offer-edit", pk=pk)
