"""The authentication backend: Django's, with the user's staff profile read in the same query."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class StaffBackend(ModelBackend):
    """ModelBackend whose signed-in user arrives with their StaffProfile (a LEFT JOIN), so the
    time-zone middleware that runs on every page (crm.middleware) costs no query of its own."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("staff_profile")
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
