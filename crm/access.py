"""Who may open which browser page: signed in, with a role (and, for some pages, a given role)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from crm.roles import roles_of


def role_required(*roles: str):
    """Signed in and holding one of `roles` (any of the four when none are named)."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            held = roles_of(request.user)
            if not held:
                raise PermissionDenied("Your account has no CRM role; ask a manager to give you one.")
            if roles and not set(held) & set(roles):
                raise PermissionDenied(f"This page is for {' and '.join(roles)}.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


staff_required = role_required()
