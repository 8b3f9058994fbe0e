"""My settings: what each signed-in person chooses for themselves (their time zone)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from crm import services
from crm.access import staff_required
from crm.forms import MySettingsForm
from crm.zones import company_zone, zone_of


@staff_required
def my_settings(request):
    profile = getattr(request.user, "staff_profile", None)  # None until they first choose
    form = MySettingsForm(request.POST or None, initial={"time_zone": profile.time_zone if profile else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_time_zone(user_id=request.user.pk, time_zone=form.cleaned_data["time_zone"])
        except ValidationError as exc:
            form.add_error("time_zone", exc.message_dict.get("time_zone", exc.messages))
        else:
            chosen = form.cleaned_data["time_zone"]
            messages.success(request, f"Saved: times now show in {chosen or f'the company’s zone, {company_zone()}'}.")
            return redirect("my-settings")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "zone": zone_of(request.user), "company_zone": company_zone()}
    return render(request, "crm/my_settings.html", context, status=status)
