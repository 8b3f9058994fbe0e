from crm.roles import roles_of


def roles(request):
    """`roles` in every template, so pages show only what the user's role may open."""
    return {"roles": roles_of(getattr(request, "user", None))}
