from django.apps import AppConfig


class SalesConfig(AppConfig):
    """The salesperson's day: the queue, claims, hand-overs, closing, ratings for marketing and
    the hot leads nobody called. No models of its own: it works on leads (leads.models)."""

    name = "sales"
    verbose_name = "Sales"
