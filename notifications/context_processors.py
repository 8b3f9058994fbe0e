from crm.roles import roles_of
from notifications.selectors import unread_count


def unread_notifications(request):
    """The count of unread notifications beside the bell in the top bar of every page."""
    user = getattr(request, "user", None)
    return {"unread_notifications": unread_count(user) if roles_of(user) else 0}
