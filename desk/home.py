"""The home page (`GET /`): what each role has to do now, on one screen, each section linking to
the page where that work is done.

- CSR: the callbacks due (overdue and today) and the calls they logged today;
- Sales: the leads handed to them and not accepted yet, their follow-ups due, and their numbers
  beside the team's (the scoreboard's figures, over the scoreboard's default period);
- Marketing: the live offers, the letter batches and imports running (with their progress), and
  this week's leads by source;
- Manager: the hot leads waiting, and each salesperson's and CSR's load.

A user with several roles sees the sections of each. Every section is a few queries whatever
the size of the book: counts are aggregates and lists are cut at HOME_ROWS.
"""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from campaigns.selectors import live_offers
from crm.access import role_required, staff_required
from crm.roles import Role, has_role, holders, roles_of
from followups.letters.selectors import running_batches
from followups.selectors import due_per_person, due_today
from imports.selectors import detail, running_imports
from leads.selectors import calls_logged
from reports import selectors as figures
from reports.periods import Period, parse_period
from sales.selectors import open_leads_per_owner, to_accept
from sales.services import waiting_hot_leads

HOME_ROWS = 8

# The salesperson's numbers beside the team's: (key, label, how it reads), from the scoreboard.
NUMBERS = (
    ("leads", "Leads", "count"),
    ("won", "Won", "count"),
    ("close_ratio", "Close ratio", "ratio"),
    ("avg_transaction", "Average transaction", "money"),
    ("upsell_rate", "Upsell rate", "ratio"),
    ("upsell_revenue", "Upsell revenue", "money"),
    ("median_hot_response_minutes", "Median response to hot leads (minutes)", "number"),
)


def _followups_title(user) -> str:
    if has_role(user, Role.CSR) and has_role(user, Role.SALES):
        return "Callbacks and follow-ups due"
    return "Callbacks due" if has_role(user, Role.CSR) else "Follow-ups due"


def _numbers(user) -> dict:
    period = parse_period({})
    team, mine = figures.summary(period), figures.summary(period, owner=user)
    rows = [
        {"key": key, "label": label, "kind": kind, "team": team[key], "mine": mine[key]} for key, label, kind in NUMBERS
    ]
    return {"period": period, "rows": rows}


def _this_week(now) -> Period:
    today = timezone.localdate(now)
    return Period(today - timedelta(days=today.weekday()), today)


def _waiting(now) -> dict:
    waiting = waiting_hot_leads(now)
    rows = list(waiting[:HOME_ROWS])
    return {"count": waiting.count() if len(rows) == HOME_ROWS else len(rows), "rows": rows}


def _load(now) -> dict:
    """Each salesperson's and CSR's open leads and follow-ups due, and what waits in the pools."""
    people = holders(Role.SALES, Role.CSR)
    ids = [person["id"] for person in people]
    leads, due = open_leads_per_owner(ids), due_per_person(ids, now=now)
    labels = dict(Role.choices)
    rows = [
        {
            **person,
            "role_labels": ", ".join(labels[role] for role in person["roles"]),
            "sells": Role.SALES in person["roles"],
            "open": leads.get(person["id"], {}).get("open", 0),
            "hot": leads.get(person["id"], {}).get("hot", 0),
            "due": due.get(person["id"], 0),
        }
        for person in people
    ]
    return {"rows": rows, "csr_pool_due": due.get(Role.CSR, 0), "manager_pool_due": due.get(Role.MANAGER, 0)}


def running_now() -> dict:
    """The letter batches and imports running, each with how far it has got (in percent)."""
    batches = [{"batch": batch, "percent": round(batch.job.progress * 100)} for batch in running_batches()]
    imports = [
        {"run": run, "detail": detail(run), "percent": round(run.job.progress * 100)} for run in running_imports()
    ]
    return {"batches": batches, "imports": imports, "any": bool(batches or imports)}


def home_sections(user, *, now=None) -> dict:
    """The home page's context: one entry per section the user's roles call for."""
    now = now or timezone.now()
    context = {"roles_held": roles_of(user)}
    if has_role(user, Role.CSR, Role.SALES):
        context["followups"] = {"title": _followups_title(user), **due_today(user, now=now, limit=HOME_ROWS)}
    if has_role(user, Role.CSR):
        start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        context["calls"] = calls_logged(user, since=start_of_day, limit=HOME_ROWS)
    if has_role(user, Role.SALES):
        context["to_accept"] = to_accept(user, limit=HOME_ROWS)
        context["numbers"] = _numbers(user)
    if has_role(user, Role.MARKETING):
        week = _this_week(now)
        context["offers"] = live_offers(now)
        context["running"] = running_now()
        context["week"] = {"period": week, "rows": figures.arrivals_by_source(week)}
    if has_role(user, Role.MANAGER):
        context["waiting"] = _waiting(now)
        context["load"] = _load(now)
    return context


@staff_required
def home(request):
    return render(request, "desk/home.html", home_sections(request.user))


@role_required(Role.MARKETING)
def running(request):
    """The "Running now" section alone: the home page polls it while a batch or an import runs."""
    return render(request, "desk/_running.html", {"running": running_now()})
