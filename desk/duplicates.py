"""Duplicate contacts, for managers: the likely duplicates (crm.selectors), and the merge of two
records of one person (leads.merging) behind a page that shows what it will do. Thin: the
finding, the checks and the merge are theirs."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from config.errors import Conflict, error_text
from config.ids import parse_id, parse_int
from crm.access import role_required
from crm.models import Contact
from crm.normalize import format_phone
from crm.roles import Role
from crm.selectors import DUPLICATE_SIGNALS, duplicate_groups, duplicates_of
from crm.submissions import submit_once
from leads.merging import FILLABLE, LABELS, leads_by_contact, merge_contacts, review_merge
from leads.models import ContactMerge

managers_only = role_required(Role.MANAGER)

SIGNAL_HELP = {
    "name": "The same first and last name (in any case) at the same company.",
    "email": "The same address before the @, dots and +tags ignored: ann.lee+crm@gmail.com and "
    "annlee@harbor.example. Shared mailboxes such as info@ or sales@ are left out.",
    "phone": "The same last seven digits: one number typed with another area or country code.",
}
MAX_PAGE = 10_000


def _title(group) -> str:
    """What the records of a group share, in words."""
    first = group.members[0] if group.members else None
    if group.signal == "name" and first is not None:
        return f"{first.full_name} at {first.company}"
    if group.signal == "email":
        return f"E-mail addresses reading “{group.key[0]}” before the @"
    tail = group.key[0]
    return f"Phone numbers ending {tail[:-4]}-{tail[-4:]}"


def _rows(groups) -> list[dict]:
    """Each group with its title and each member's leads (one query for all of them)."""
    leads = leads_by_contact([member.pk for group in groups for member in group.members])
    return [
        {
            "group": group,
            "title": _title(group),
            "label": DUPLICATE_SIGNALS[group.signal],
            "members": [{"contact": member, "leads": leads.get(member.pk)} for member in group.members],
        }
        for group in groups
    ]


@managers_only
def duplicates(request):
    """Likely duplicates by one signal (`?by=name|email|phone`, a page of groups at a time), or
    those of one contact (`?contact=id`, from its lead page). Each group is a form that opens
    the merge's review with the two records chosen."""
    contact_id = parse_id(request.GET.get("contact"))
    context = {"signals": DUPLICATE_SIGNALS}
    if contact_id is not None:
        contact = get_object_or_404(Contact.objects.select_related("company"), pk=contact_id)
        context.update(contact=contact, groups=_rows(duplicates_of(contact)), signal="")
        return render(request, "desk/duplicates.html", context)
    signal = request.GET.get("by", "name")
    signal = signal if signal in DUPLICATE_SIGNALS else "name"
    page = min(max(parse_int(request.GET.get("page")) or 1, 1), MAX_PAGE)
    found = duplicate_groups(signal, page=page)
    context.update(signal=signal, page=found.page, has_next=found.has_next, groups=_rows(found.groups))
    context.update(signal_label=DUPLICATE_SIGNALS[signal], signal_help=SIGNAL_HELP[signal])
    return render(request, "desk/duplicates.html", context)


def _back(data, keep_id) -> str:
    """Where the manager came from: the same page of duplicates, or the kept contact's."""
    signal = data.get("by", "")
    if signal in DUPLICATE_SIGNALS:
        page = min(max(parse_int(data.get("page")) or 1, 1), MAX_PAGE)
        return reverse("contact-duplicates") + f"?by={signal}" + (f"&page={page}" if page > 1 else "")
    return reverse("contact-duplicates") + (f"?contact={keep_id}" if keep_id else "")


def _merged_message(record: ContactMerge, *, first: bool) -> str:
    if not first:
        return "Already merged: the form arrived twice and merged once."
    moved = len(record.leads_moved)
    leads = f"{moved} lead{'s' if moved != 1 else ''} moved" if moved else "no lead to move"
    filled = f", {', '.join(LABELS.get(name, name) for name in record.filled)} filled in" if record.filled else ""
    name = record.merged_name or record.merged_email or format_phone(record.merged_phone)
    return f"Merged #{record.merged_contact_id} {name} into #{record.kept_id} {record.kept}: {leads}{filled}."


@managers_only
@require_http_methods(["GET", "POST"])
def merge(request):
    """GET ?keep=&merge=: what merging the second record into the first will do, and the button
    that does it. POST: the merge (once, however often the form arrives), then back to the
    duplicates. A refusal (the same record twice, an erased or merged-away contact) is said on
    this page, with the status the API gives it."""
    data = request.POST if request.method == "POST" else request.GET
    keep_id, merge_id = parse_id(data.get("keep")), parse_id(data.get("merge"))
    context = {"back": _back(data, keep_id), "by": data.get("by", ""), "page": data.get("page", "")}
    if keep_id is None or merge_id is None:
        context["refusal"] = "Choose the record to keep and the one to merge into it."
        return render(request, "desk/merge.html", context, status=400)
    try:
        if request.method == "POST":
            record_id, first = submit_once(
                request, lambda: merge_contacts(keep_id=keep_id, merge_id=merge_id, by=request.user).record.pk
            )
            record = ContactMerge.objects.select_related("kept").get(pk=record_id)
            messages.success(request, _merged_message(record, first=first))
            return redirect(context["back"])
        plan = review_merge(keep_id=keep_id, merge_id=merge_id)
    except ValidationError as exc:
        context["refusal"] = error_text(exc)
        return render(request, "desk/merge.html", context, status=400)
    except Conflict as exc:
        context["refusal"] = exc.detail
        return render(request, "desk/merge.html", context, status=409)
    except Contact.DoesNotExist:
        context["refusal"] = "One of these contacts does not exist."
        return render(request, "desk/merge.html", context, status=404)
    context.update(plan=plan, fields=_comparison(plan))
    return render(request, "desk/merge.html", context)


def _comparison(plan) -> list[dict]:
    """Field by field: the kept record's value, the merged one's, and the kept one's after."""
    rows = []
    for name in FILLABLE:
        label = LABELS[name]
        kept, merged = getattr(plan.kept, name), getattr(plan.merged, name)
        if name == "phone":
            kept, merged = format_phone(kept), format_phone(merged)
        rows.append(
            {
                "name": name,
                "label": label,
                "kept": kept,
                "merged": merged,
                "after": merged if name in plan.fills else kept,
            }
        )
    for name in ("consent", "do_not_contact"):
        label = LABELS[name]
        kept, merged = getattr(plan.kept, name), getattr(plan.merged, name)
        after = kept or (plan.consent if name == "consent" else plan.do_not_contact)
        rows.append({"name": name, "label": label, "kept": kept, "merged": merged, "after": after, "flag": True})
    for row in rows:
        row["filled"] = row["name"] in plan.changes
    return rows
