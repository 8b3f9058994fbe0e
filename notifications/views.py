"""The notifications page: reading never marks anything; "Mark all as read" does (a POST)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.access import staff_required
from notifications import selectors, services


@staff_required
def notifications(request):
    return render(request, "notifications/notifications.html", {"notifications": selectors.latest_for(request.user)})


@staff_required
@require_POST
def mark_all_read(request):
    marked = services.mark_read(user=request.user)
    if marked:
        messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read.")
    return redirect("notifications")
