"""A small book of closed leads for the score analysis page (tests/reports/test_score_analysis_page.py
and the browser journey), made only through the services: each lead calls in, a CSR records its
answers, it becomes sales-ready by its score and a salesperson claims and closes it. Nothing
writes a score, a stage or a close time.

What is planted, so each section has something to find:
- "Is there a budget set aside?" Yes, approved (75 points, hot) closes 60 %, Being planned (65,
  warm) 25 %: the 70–79 band closes more than 60–69, the budget rule is worth points.
- CSR yves answers "Yes, approved" on three leads in four, ann and cho on one in four, each
  answer closing at the same rate whoever gave it: yves is flagged.
- Every fourth sale is to a dental practice (industry 621210) and is the largest: the best
  customers are dental practices.
"""

from django.contrib.auth import get_user_model

from leads.kinds import Stage
from sales.services import claim_lead, close_lead
from tests.factories import FACTS, CompanyFactory, ContactFactory, closer, lead_after, make_user

DENTAL = "621210"
CLOSE_RATE = {"approved": 0.6, "planning": 0.25}


def staff(username: str, role: str = "csr"):
    return get_user_model().objects.filter(username=username).first() or make_user(username, role)


def closed(*, by, budget: str, won: bool, amount=None, industry_code: str = "238220"):
    """A caller whose answers `by` recorded (the decision is theirs, and the budget), closed."""
    company = CompanyFactory(industry_code=industry_code, size_band="1-9")  # no size-fit points: 65 or 75
    lead = lead_after(
        "call_inbound",
        {"decision_maker": "yes", "budget": budget},
        by=by,
        contact=ContactFactory(company=company),
        **FACTS,
    )
    assert lead.stage == Stage.SALES_READY, (lead.stage, lead.score)
    seller = closer()
    claim_lead(lead_id=lead.pk, by=seller)
    outcome = Stage.WON if won else (Stage.UNCLOSED if lead.pk % 2 else Stage.DEAD)
    close_lead(lead_id=lead.pk, outcome=outcome, by=seller, amount=amount, reason="" if won else "Not now")
    return lead


def score_book(per_csr: int = 24) -> dict:
    """3 × `per_csr` closed leads (72 by default); returns the planted figures."""
    share_approved = {"ann": 0.25, "cho": 0.25, "yves": 0.75}
    seen: dict[tuple[str, str], int] = {}
    sales = 0
    for name, share in share_approved.items():
        csr = staff(name)
        for i in range(per_csr):
            budget = "approved" if int((i + 1) * share) > int(i * share) else "planning"
            n = seen.get((name, budget), 0)
            seen[(name, budget)] = n + 1
            rate = CLOSE_RATE[budget]
            won = int((n + 1) * rate) > int(n * rate)  # the rate, spread evenly: no luck
            if not won:
                closed(by=csr, budget=budget, won=False)
                continue
            dental = sales % 4 == 3
            amount = 1000 + 100 * sales + (10000 if dental else 0)
            closed(by=csr, budget=budget, won=True, amount=str(amount), industry_code=DENTAL if dental else "238220")
            sales += 1
    return {"outcomes": 3 * per_csr, "sales": sales}
