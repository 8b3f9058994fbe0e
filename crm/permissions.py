"""API permissions by role. The matrix in tests/test_permissions.py pins who may do what."""

from rest_framework.permissions import BasePermission

from crm.roles import Role, roles_of


class IsStaffRole(BasePermission):
    """Any of the four roles. The default for every API view: a user with no role sees nothing."""

    message = "Your account has no CRM role; ask a manager to give you one."

    def has_permission(self, request, view):
        return bool(roles_of(request.user))


def role_permission(*roles: str) -> type[BasePermission]:
    """A permission class that lets in only the given roles."""

    class HasRole(BasePermission):
        message = "Only " + ", ".join(roles) + " may do this."

        def has_permission(self, request, view):
            return any(role in roles for role in roles_of(request.user))

    HasRole.__name__ = "HasRole_" + "_".join(roles)
    return HasRole


IsMarketingOrManager = role_permission(Role.MARKETING, Role.MANAGER)
IsManager = role_permission(Role.MANAGER)
IsSalesOrManager = role_permission(Role.SALES, Role.MANAGER)
