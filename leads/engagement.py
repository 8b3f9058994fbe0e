"""The rules of engagement: what makes a lead sales-ready besides its score, and how fast a hot
lead must be called. One row (migration 0012 writes it with the model's defaults), read here
and nowhere else, once per request or task however many leads that request judges."""

from __future__ import annotations

from asgiref.local import Local
from django.db.models import Q

from leads.models import Lead, RulesOfEngagement
from scoring.engine import RuleBook
from scoring.services import published_rule_book

_unit_of_work = Local()  # the row read in this request or task; nothing outside one


def begin_unit_of_work(**_signal) -> None:
    """A request or a task starts: the next read fetches the row afresh (leads.apps connects this)."""
    _unit_of_work.active, _unit_of_work.rules = True, None


def end_unit_of_work(**_signal) -> None:
    _unit_of_work.active, _unit_of_work.rules = False, None


def rules_of_engagement() -> RulesOfEngagement:
    """The rules of engagement, read once per request or task (every read outside one)."""
    if not getattr(_unit_of_work, "active", False):
        return RulesOfEngagement.objects.get(pk=1)
    if _unit_of_work.rules is None:
        _unit_of_work.rules = RulesOfEngagement.objects.get(pk=1)
    return _unit_of_work.rules


def update_rules_of_engagement(
    *, required_facts: list[str], hot_response_minutes: int, reassign_after_minutes: int | None
) -> RulesOfEngagement:
    """A manager changes what sales-ready means (besides the score) and the response limits."""
    rules = RulesOfEngagement.objects.get(pk=1)
    rules.required_facts = list(dict.fromkeys(required_facts)) if isinstance(required_facts, list) else required_facts
    rules.hot_response_minutes, rules.reassign_after_minutes = hot_response_minutes, reassign_after_minutes
    rules.clean()  # refuses with every reason; nothing is saved then
    rules.save()
    _unit_of_work.rules = None
    return rules


def _recorded(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def missing_for_sales_ready(
    lead: Lead, *, book: RuleBook | None = None, rules: RulesOfEngagement | None = None
) -> list[str]:
    """What keeps a lead from being sales-ready under the rules of engagement: `score` and the
    names of required facts not yet recorded. Empty when it qualifies. `rules`, when the caller
    judges many leads, saves reading them again."""
    book = book or published_rule_book()
    missing = ["score"] if lead.score < book.thresholds.sales_ready else []
    return missing + missing_facts(lead, rules=rules)


def missing_facts(lead: Lead, *, rules: RulesOfEngagement | None = None) -> list[str]:
    """The facts the rules of engagement require that the lead has not recorded yet."""
    rules = rules or rules_of_engagement()
    return [fact for fact in rules.required_facts if not _recorded(getattr(lead, fact, None))]


def qualifies(lead: Lead, *, book: RuleBook, rules: RulesOfEngagement | None = None) -> bool:
    """Whether a lead meets the rules of engagement; no query below the score threshold."""
    return lead.score >= book.thresholds.sales_ready and not missing_for_sales_ready(lead, book=book, rules=rules)


def describe_missing(missing: list[str], lead: Lead, book: RuleBook | None = None) -> str:
    """The refusal in words: "Not sales-ready yet: needs why they inquired, …"."""
    book = book or published_rule_book()
    words = {
        "score": f"a score of at least {book.thresholds.sales_ready} (now {lead.score})",
        "inquiry_reason": "why they inquired",
        "desired_outcome": "the result they want",
        "estimated_value": "an estimated value",
    }
    return "Not sales-ready yet: needs " + ", ".join(words.get(item, item) for item in missing) + "."


def meets_rules_of_engagement(book: RuleBook) -> Q:
    """The rules of engagement as a filter: a score at the published sales-ready threshold and
    every required fact recorded. A pool lead can fall short of it once the rules change (a
    publish or the decay lowered its score, a manager required another fact)."""
    condition = Q(score__gte=book.thresholds.sales_ready)
    for fact in rules_of_engagement().required_facts:
        condition &= Q(**{f"{fact}__isnull": False}) if fact == "estimated_value" else ~Q(**{fact: ""})
    return condition
