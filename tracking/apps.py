from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = "Engagement tracking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Lend the capture endpoint the way to say which site visitor a new lead is (leads sits
        below tracking and cannot import it), and give each offer with a landing page its tracked
        address to print on ads."""
        from django.db.models.signals import post_save

        from campaigns.models import Offer
        from leads import capture
        from tracking import links, visitors

        capture.lend_visitors(visitors.identify)
        post_save.connect(links.offer_saved, sender=Offer, dispatch_uid="tracking-offer-link")
