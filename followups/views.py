"""Browser pages for follow-ups: "My follow-ups" (complete with answers and referrals in one
form, skip, reschedule), callbacks from the lead page and the console, and marketing's script
editor. Thin: every action is a call into followups.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from config.errors import Conflict, error_text
from crm.access import role_required, staff_required
from crm.roles import Role
from crm.submissions import submit_once
from followups import selectors, services
from followups.forms import CallbackForm, ScriptForm, callback_panel, referral_rows
from followups.models import FollowUp, FollowUpScript
from leads.selectors import visible_leads

marketing_only = role_required(Role.MARKETING, Role.MANAGER)
REFERRAL_ROWS = 2


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"general": exc.messages}


def _card(request, followup, *, errors=None, data=None, status=200):
    context = {
        "f": followup,
        "errors": errors or {},
        "data": data or {},
        "referral_rows": referral_rows(data, REFERRAL_ROWS, errors),
    }
    return render(request, "followups/_followup.html", context, status=status)


def _visible(request, pk) -> FollowUp:
    return get_object_or_404(selectors.visible_followups(request.user).select_related("lead__contact"), pk=pk)


@staff_required
def my_followups(request):
    sections = selectors.my_followups(request.user)
    return render(
        request,
        "followups/my_followups.html",
        {"sections": sections, "referral_rows": referral_rows(None, REFERRAL_ROWS), "errors": {}, "data": {}},
    )


def _answers_from(post, followup) -> dict:
    return {q["key"]: post.get(f"answer_{q['key']}", "") for q in followup.script if post.get(f"answer_{q['key']}")}


def _referrals_from(post) -> list[dict]:
    people = []
    for i in range(REFERRAL_ROWS):
        person = {
            key: post.get(f"referral-{i}-{key}", "").strip() for key in ("first_name", "last_name", "email", "phone")
        }
        if any(person.values()):
            people.append(person)
    return people


def already_known_text(count: int) -> str:
    people = "person is" if count == 1 else "people are"
    return f"{count} referred {people} already known to us: their leads stay with whoever has them."


@staff_required
@require_POST
def complete(request, pk):
    followup = _visible(request, pk)
    try:
        done = services.complete(
            followup_id=followup.pk,
            by=request.user,
            answers=_answers_from(request.POST, followup),
            note=request.POST.get("note", ""),
            referrals=_referrals_from(request.POST),
            within=selectors.visible_followups(request.user),
        )
    except ValidationError as exc:
        if request.htmx:
            return _card(request, followup, errors=_errors(exc), data=request.POST)
        messages.error(request, "Not saved: " + error_text(exc))
        return redirect("my-followups")
    except Conflict as exc:
        followup.refresh_from_db()
        if request.htmx:
            return _card(request, followup, errors={"general": [exc.detail]})
        messages.error(request, exc.detail)
        return redirect("my-followups")
    done.followup.refresh_from_db()
    if request.htmx:
        return render(request, "followups/_done.html", {"f": done.followup, "done": done})
    message = f"Follow-up with {followup.lead.contact} done."
    if done.referrals:
        message += " New referral lead" + ("s" if len(done.referrals) > 1 else "") + ": "
        message += ", ".join(str(lead.contact) for lead in done.referrals) + "."
    if done.already_known:
        message += f" {already_known_text(done.already_known)}"
    messages.success(request, message)
    return redirect("my-followups")


@staff_required
@require_POST
def skip(request, pk):
    followup = _visible(request, pk)
    try:
        services.skip(
            followup_id=followup.pk,
            by=request.user,
            reason=request.POST.get("reason", ""),
            within=selectors.visible_followups(request.user),
        )
    except (ValidationError, Conflict) as exc:
        text = error_text(exc)
        if request.htmx:
            return _card(request, followup, errors={"reason": [text]}, data=request.POST)
        messages.error(request, text)
    else:
        if request.htmx:
            followup.refresh_from_db()
            return render(request, "followups/_done.html", {"f": followup})
        messages.success(request, "Skipped.")
    return redirect(request.POST.get("next") or "my-followups")


@staff_required
@require_POST
def reschedule(request, pk):
    followup = _visible(request, pk)
    form = CallbackForm(request.POST, lead=followup.lead, need_note=False)
    if not form.is_valid():
        errors = {name: list(errs) for name, errs in form.errors.items()}
        return _card(request, followup, errors=errors, data=request.POST, status=200 if request.htmx else 400)
    try:
        services.reschedule(
            followup_id=followup.pk,
            by=request.user,
            due_at=form.cleaned_data["due_at"],
            assignee_id=form.cleaned_data["assignee"].pk if form.cleaned_data.get("assignee") else None,
            within=selectors.visible_followups(request.user),
        )
    except (ValidationError, Conflict) as exc:
        text = error_text(exc)
        return _card(request, followup, errors={"due_at": [text]}, data=request.POST)
    followup.refresh_from_db()
    if request.htmx:
        return _card(request, followup)
    messages.success(request, f"Moved to {date_format(timezone.localtime(followup.due_at), 'D j M Y, H:i')}.")
    return redirect("my-followups")


@staff_required
@require_POST
def schedule_callback(request, pk):
    """ "Call back Tuesday at 10" from the lead page or the console: the panel refreshes (htmx)."""
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    form = CallbackForm(request.POST, lead=lead, prefix="callback")
    if form.is_valid():
        data = form.cleaned_data
        try:
            submit_once(
                request,  # a double click schedules one callback
                lambda: services.schedule_callback(
                    lead_id=lead.pk,
                    due_at=data["due_at"],
                    note=data["note"],
                    assignee_id=data["assignee"].pk if data.get("assignee") else None,
                    by=request.user,
                    within=visible_leads(request.user),
                ).pk,
            )
        except Conflict as exc:  # an erased contact, on a page opened before the erasure: the form is gone
            messages.error(request, exc.detail)
            url = reverse("lead-detail", kwargs={"pk": lead.pk})
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        except ValidationError as exc:
            for field, errors in _errors(exc).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if not request.htmx:
                messages.success(request, "Callback scheduled.")
                return redirect("lead-detail", pk=lead.pk)
            context = callback_panel(lead)
            context["scheduled"] = True
            return render(request, "followups/_lead_followups.html", context)
    if not request.htmx:
        messages.error(request, "Not scheduled: " + " ".join(sum(form.errors.values(), [])))
        return redirect("lead-detail", pk=lead.pk)
    return render(request, "followups/_lead_followups.html", callback_panel(lead, form))


# --- Scripts (marketing) ----------------------------------------------------------------------


@marketing_only
def script_list(request):
    return render(request, "followups/scripts.html", {"scripts": FollowUpScript.objects.all()})


@marketing_only
def script_edit(request, pk=None):
    script = get_object_or_404(FollowUpScript, pk=pk) if pk else None
    form = ScriptForm(request.POST or None, instance=script)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Script “{saved.name}” saved: follow-ups scheduled from now on use it.")
        return redirect("followup-scripts")
    status = 400 if request.method == "POST" else 200
    return render(request, "followups/script_form.html", {"form": form, "script": script}, status=status)
