from django.apps import AppConfig


class NurtureConfig(AppConfig):
    name = "nurture"
    verbose_name = "Nurture sequences"

    def ready(self):
        """Lend the lead list its "Add to sequence" control (leads sits below nurture)."""
        from leads import list_actions
        from nurture.views import lead_list_control

        list_actions.lend(lead_list_control)
