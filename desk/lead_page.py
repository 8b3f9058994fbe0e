"""What the lead page shows, gathered from every app that knows something of the lead: its score
and breakdown (leads.scores), its timeline (leads.selectors), the sales panel (sales), the
follow-ups panel (followups) and the offers panel (leads). The console's caller panel is the
same page in a narrower frame."""

from followups.forms import callback_panel
from leads.forms import LogInteractionForm
from leads.models import Temperature
from leads.scores import explain
from leads.selectors import lead_offers, lead_timeline, may_edit
from sales.selectors import sales_panel
from scoring.services import published_rule_book


def lead_page(user, lead, *, form=None, logged=None, redeem_error: str = "", redeem_done: str = "") -> dict:
    """The context of leads/lead_detail.html and its panels (_lead_activity, _lead_offers, …)."""
    book = published_rule_book()
    score = explain(lead)
    return {
        "lead": lead,
        "score": score,
        "temperature_label": dict(Temperature.choices).get(score.temperature, score.temperature),
        "timeline": lead_timeline(lead, book=book),
        "form": form or LogInteractionForm(book=book),
        "logged": logged,
        "can_edit": may_edit(user, lead),
        **sales_panel(user, lead),
        **callback_panel(lead),
        **offers_panel(lead, error=redeem_error, done=redeem_done),
    }


def offers_panel(lead, *, error: str = "", done: str = "") -> dict:
    """The offers panel with the outcome of a redemption just tried, if any."""
    return {**lead_offers(lead), "redeem_error": error, "redeem_done": done}
