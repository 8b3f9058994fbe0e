"""A company's page (`/companies/<id>/`): its people, their leads, what it bought (the won leads'
amounts), its timeline (its leads' timelines merged, newest first), and its ideal-customer-profile
facts, which CSR, Marketing and Managers correct on `/companies/<id>/edit/`.

Only what the user may see: a salesperson reaches a company only through a lead of theirs or
of the pool (leads.selectors.visible_companies; any other is a 404), and sees only those leads,
the people behind them and their revenue. Correcting a fact rescores the company's open leads
(leads.services.edit_company_profile), since profile-fit points read these facts. Every list is
cut, so the page costs the same few queries for a company of three people or three thousand.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from crm.access import role_required, staff_required
from crm.forms import CompanyProfileForm
from crm.roles import Role, has_role
from crm.services import COMPANY_PROFILE_FIELDS
from leads.selectors import company_figures, company_leads, company_people, timeline, visible_companies
from leads.services import edit_company_profile
from scoring.services import published_rule_book

PEOPLE_ROWS = 50
TIMELINE_ROWS = 30
EDITORS = (Role.CSR, Role.MARKETING, Role.MANAGER)  # those who correct contacts; sales reads


def company_page(user, company) -> dict:
    """The context of desk/company.html."""
    leads = company_leads(company, user=user)
    figures = company_figures(leads)
    return {
        "company": company,
        "people": company_people(company, user=user, limit=PEOPLE_ROWS),
        "figures": figures,
        "timeline": timeline(leads, book=published_rule_book(), limit=TIMELINE_ROWS),
        "timeline_rows": TIMELINE_ROWS,
        "can_edit": has_role(user, *EDITORS),
        "sees_everyone": has_role(user, *EDITORS),
    }


@staff_required
def company_detail(request, pk):
    company = get_object_or_404(visible_companies(request.user), pk=pk)
    return render(request, "desk/company.html", company_page(request.user, company))


def _saved_message(edit) -> str:
    if not edit.changed:
        return "Nothing changed."
    labels = ", ".join(CompanyProfileForm.base_fields[name].label.lower() for name in edit.changed)
    rescored = f" {edit.rescored} open lead{'s' if edit.rescored != 1 else ''} rescored." if edit.rescored else ""
    return f"Saved: {labels}.{rescored}"


@role_required(*EDITORS)
def company_edit(request, pk):
    """GET: the profile form, filled in. POST: correct the facts through the leads app's service,
    which rescores the company's open leads; field errors come back on the form (400) and then
    nothing is written."""
    company = get_object_or_404(visible_companies(request.user), pk=pk)
    if request.method != "POST":
        initial = {name: getattr(company, name) for name in COMPANY_PROFILE_FIELDS}
        return render(
            request, "desk/company_edit.html", {"company": company, "form": CompanyProfileForm(initial=initial)}
        )
    form = CompanyProfileForm(request.POST)
    if form.is_valid():
        try:
            edit = edit_company_profile(company_id=company.pk, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _saved_message(edit))
            return redirect("company-detail", pk=company.pk)
    return render(request, "desk/company_edit.html", {"company": company, "form": form}, status=400)
