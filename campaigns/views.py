"""Marketing's pages (campaigns, the offer editor, launch) and everyone's staff briefing."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from campaigns import services
from campaigns.briefing import briefing
from campaigns.forms import CampaignForm, OfferForm, PlacementFormSet
from campaigns.models import Campaign, Offer
from crm.access import role_required, staff_required
from crm.roles import Role

marketing_only = role_required(Role.MARKETING, Role.MANAGER)


@staff_required
def briefing_page(request):
    return render(request, "campaigns/briefing.html", briefing())


@marketing_only
def campaign_list(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.save_campaign(by=request.user, **form.cleaned_data)
        messages.success(request, "Campaign created.")
        return redirect("campaign-list")
    campaigns = Campaign.objects.prefetch_related("offers").annotate(offer_count=Count("offers"))
    return render(request, "campaigns/campaign_list.html", {"campaigns": campaigns, "form": form})


@marketing_only
def offer_edit(request, pk=None):
    """Create or edit an offer with its placements; errors show on their fields."""
    offer = get_object_or_404(Offer, pk=pk) if pk else None
    form = OfferForm(request.POST or None, instance=offer, initial={"campaign": request.GET.get("campaign")})
    placements = PlacementFormSet(request.POST or None, instance=offer or Offer(), prefix="placements")
    if request.method == "POST" and form.is_valid() and placements.is_valid():
        rows = [
            {key: data[key] for key in ("channel", "outlet", "starts_on", "ends_on", "cost")}
            for data in placements.cleaned_data
            if data and not data.get("DELETE")
        ]
        try:
            saved = services.save_offer(offer=offer, placements=rows, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Offer {saved.code} saved.")
            return redirect("offer-edit", pk=saved.pk)
    reasons = services.launch_reasons(offer) if offer and offer.launched_at is None else []
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "campaigns/offer_form.html",
        {"form": form, "placements": placements, "offer": offer, "launch_reasons": reasons},
        status=status,
    )


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
