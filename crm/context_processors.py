from crm.roles import roles_of


def roles(request):
    """`roles` and the count of unread notifications in every template, so pages show only
    what the user's role may open."""
    user = getattr(request, "user", None)
    held = roles_of(user)
    unread = 0
    if held:
        from leads.models import Notification

        unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return {"roles": held, "unread_notifications": unread}
