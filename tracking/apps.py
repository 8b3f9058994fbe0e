from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = "Engagement tracking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Lend the capture endpoint the way to say which site visitor a new lead is (leads sits
        below tracking and cannot import it)."""
        from leads import capture
        from tracking import visitors

        capture.lend_visitors(visitors.identify)
