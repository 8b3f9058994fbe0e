"""What the lead page shows, gathered from every app that knows something of the lead: its score
and breakdown (leads.scores), its timeline (leads.selectors), the sales panel (sales), the
follow-ups panel (followups), the offers panel (leads) and the sequences panel (nurture). The
console's caller panel is the same page in a narrower frame."""

from followups.forms import callback_panel
from followups.letters.emails import why_not
from leads.engagement import describe_missing, missing_for_sales_ready
from leads.forms import LogInteractionForm
from leads.kinds import Stage
from leads.models import Temperature
from leads.scores import explain
from leads.selectors import lead_offers, lead_timeline, may_edit
from nurture.selectors import sequences_panel
from sales.selectors import sales_panel
from scoring.engine import RuleBook
from scoring.services import published_rule_book
from tracking.selectors import emails_of, engagement


def lead_page(user, lead, *, form=None, logged=None, redeem_error: str = "", redeem_done: str = "") -> dict:
    """The context of leads/lead_detail.html and its panels (_lead_activity, _lead_offers, …)."""
    book = published_rule_book()
    score = explain(lead)
    return {
        "lead": lead,
        "score": score,
        "temperature_label": dict(Temperature.choices).get(score.temperature, score.temperature),
        "readiness": readiness(lead, book),
        "timeline": lead_timeline(lead, book=book),
        "form": form or log_form(user, lead, book=book),
        "logged": logged,
        "can_edit": may_edit(user, lead),
        "can_email": not why_not(lead, marketing=False),  # "Write an e-mail" (followups.letters.emails)
        **sales_panel(user, lead),
        **callback_panel(lead),
        **offers_panel(lead, error=redeem_error, done=redeem_done),
        **sequences_panel(user, lead),  # the lead's enrolments (nurture)
        "engagement": engagement(lead),  # "since our last contact" (tracking)
        "tracked_emails": emails_of(lead)[:5],
    }


def offers_panel(lead, *, error: str = "", done: str = "") -> dict:
    """The offers panel with the outcome of a redemption just tried, if any."""
    return {**lead_offers(lead), "redeem_error": error, "redeem_done": done}


def log_form(user, lead, data=None, *, book: RuleBook | None = None, **kwargs) -> LogInteractionForm:
    """The log-an-interaction form of the lead page and the console: with why they inquired and
    the result they want when `user` may correct the lead's facts (leads.selectors.may_edit)."""
    book = book or published_rule_book()
    return LogInteractionForm(data, book=book, lead=lead if may_edit(user, lead) else None, **kwargs)


def readiness(lead, book: RuleBook) -> str:
    """What still stands between an open lead and sales-ready, in words ("Not sales-ready yet:
    needs the result they want."), or where a sales-ready one is; empty for a closed lead."""
    if lead.stage == Stage.SALES_READY:
        return "Sales-ready: in the pool for sales." if lead.owner_id is None else f"Sales-ready: with {lead.owner}."
    if lead.stage not in (Stage.INQUIRY, Stage.UNCLOSED):
        return ""
    missing = missing_for_sales_ready(lead, book=book)
    return describe_missing(missing, lead, book) if missing else "Meets the rules of engagement for sales-ready."
