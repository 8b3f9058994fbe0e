"""What the published scoring rules mean for a page: `{% load scoring_rules %}`.

A sales-ready lead whose score is below the published sales-ready threshold no longer meets the
rules of engagement (a publish or the decay lowered it). The rescore sends unowned ones back to
`inquiry`; an owned one stays with its owner, and pages mark it from this, derived each time, so
the mark can never be stale.
"""

from django import template

from scoring.services import published_rule_book

register = template.Library()


@register.simple_tag
def sales_ready_threshold() -> int:
    """`{% sales_ready_threshold as ready_at %}`: one small query, read once per page."""
    return published_rule_book().thresholds.sales_ready


@register.filter
def no_longer_qualifies(lead, threshold) -> bool:
    """`{% if lead|no_longer_qualifies:ready_at %}`: sales-ready, but its score is now below."""
    return lead.stage == "sales_ready" and threshold is not None and lead.score < threshold
