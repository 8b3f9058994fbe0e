"""The four staff roles. Each is a Django group; a user's roles are the groups they belong to."""

from django.db.models import TextChoices


class Role(TextChoices):
    CSR = "CSR", "Customer service rep"
    SALES = "Sales", "Salesperson"
    MARKETING = "Marketing", "Marketing manager"
    MANAGER = "Manager", "Manager"


ROLE_BY_SLUG = {"csr": Role.CSR, "sales": Role.SALES, "marketing": Role.MARKETING, "manager": Role.MANAGER}


def roles_of(user) -> list[str]:
    """The role names of a user, cached on the instance for the request."""
    if not user or not user.is_authenticated:
        return []
    cached = getattr(user, "_crm_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = [role.value for role in Role if role.value in names]
        user._crm_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return any(role in roles_of(user) for role in roles)


def members(*roles: str):
    """The active users holding any of `roles`: whom an alert for "the managers" reaches."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(groups__name__in=roles, is_active=True).distinct()


def holders(*roles: str) -> list[dict]:
    """The active users holding any of `roles`, by user name, each with which of them it holds
    (`{"id", "username", "roles"}`), in one query: whose load a manager reads."""
    from django.contrib.auth import get_user_model

    rows = (
        get_user_model()
        .objects.filter(groups__name__in=roles, is_active=True)
        .values_list("pk", "username", "groups__name")
        .order_by("username", "pk")
    )
    people: dict[int, dict] = {}
    for pk, username, role in rows:
        people.setdefault(pk, {"id": pk, "username": username, "roles": []})["roles"].append(role)
    order = [role.value for role in Role]
    for person in people.values():
        person["roles"].sort(key=order.index)
    return list(people.values())
