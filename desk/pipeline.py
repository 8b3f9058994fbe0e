"""The pipeline board (`/pipeline/`): open leads as columns by stage (inquiry, sales-ready,
unclosed) and the leads won this month, with each column's count and estimated value.

A salesperson's board is their own leads and the pool they may claim; marketing and managers
switch between their own and the team's. A card moves to another column through the service
that owns that move (sales.services.move_lead: a promotion or a hand-over to sales-ready, a
close to won, unclosed or dead), dragged or with the "Move to" control on the card. Without
script the control opens a small page asking what the move needs (the amount of a sale, the
reason it was lost); with it (static/js/pipeline.js) a dialog asks, the move is posted, and the
board comes back re-drawn with the outcome in words, refusals included.
"""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.errors import Conflict, error_text
from crm.access import role_required
from crm.roles import Role, has_role
from leads.kinds import Stage
from leads.selectors import visible_leads
from sales import services
from sales.selectors import board, board_leads, board_moves, may_see_the_team, salespeople

board_users = role_required(Role.SALES, Role.MARKETING, Role.MANAGER)

TARGETS = {
    Stage.SALES_READY: "Sales-ready",
    Stage.WON: "Won",
    Stage.UNCLOSED: "Unclosed",
    Stage.DEAD: "Dead",
}


def _team(request, data) -> bool:
    """The team's board, when asked for and allowed; marketing and managers without a sales role
    own few leads, so theirs opens on the team's."""
    if not may_see_the_team(request.user):
        return False
    show = data.get("show", "")
    return show == "team" or (show != "mine" and not has_role(request.user, Role.SALES))


def _month_start() -> datetime:
    """The won column shows this month's sales (in the user's time zone)."""
    today = timezone.localdate()
    return timezone.make_aware(datetime(today.year, today.month, 1))


def board_context(request, *, team: bool, outcome: str = "", message: str = "") -> dict:
    user = request.user
    won_since = _month_start()
    columns = board(board_leads(user, team=team), won_since=won_since)
    for column in columns:
        for card in column["cards"]:
            card.moves = [(stage, TARGETS[stage]) for stage in board_moves(user, card)]
            card.in_pool = card.owner_id is None and card.stage == Stage.SALES_READY
            card.claimable = card.in_pool and has_role(user, Role.SALES, Role.MANAGER)
    hands_over = has_role(user, Role.MARKETING, Role.MANAGER)
    return {
        "columns": columns,
        "team": team,
        "show": "team" if team else "mine",
        "may_see_the_team": may_see_the_team(user),
        "won_since": won_since,
        "salespeople": list(salespeople()) if hands_over else [],
        "hands_over": hands_over,
        "outcome": outcome,
        "message": message,
    }


@board_users
def pipeline(request):
    return render(request, "desk/pipeline.html", board_context(request, team=_team(request, request.GET)))


def _lead_for_move(request, pk):
    return get_object_or_404(visible_leads(request.user).select_related(None).select_related("contact"), pk=pk)


@board_users
def move_form(request, pk):
    """The move's own small page, for a browser without script: what the move needs, then Move."""
    lead = _lead_for_move(request, pk)
    to = request.GET.get("to", "")
    team = _team(request, request.GET)
    if to not in board_moves(request.user, lead):
        messages.error(request, f"{lead.contact} cannot move to {TARGETS.get(to, 'that column')} from the board.")
        return redirect(_board_url(team))
    context = {
        "lead": lead,
        "to": to,
        "to_label": TARGETS[to],
        "show": "team" if team else "mine",
        "salespeople": list(salespeople()) if has_role(request.user, Role.MARKETING, Role.MANAGER) else [],
    }
    return render(request, "desk/pipeline_move.html", context)


def _board_url(team: bool) -> str:
    return reverse("pipeline") + ("?show=team" if team else "?show=mine")


def _moved(lead, to: str, *, owner_before) -> str:
    if to == Stage.SALES_READY:
        whose = f" and handed to {lead.owner.username}" if lead.owner_id not in (None, owner_before) else ""
        return f"{lead.contact} is sales-ready{whose}."
    if to == Stage.WON:
        return f"{lead.contact} closed won."
    return f"{lead.contact} moved to {TARGETS[to].lower()}."


@board_users
@require_POST
def move(request, pk):
    """Move a card: through sales.services.move_lead, on a lead the user may see (404 otherwise,
    before anything else). The board's script gets the board re-drawn (409 or 400 with the
    reason when the move is refused); a plain form post goes back to the board with a message."""
    data = request.POST
    to = data.get("to", "")
    team = _team(request, data)
    within = visible_leads(request.user)
    lead = _lead_for_move(request, pk)
    status, outcome = 200, "moved"
    try:
        moved = services.move_lead(
            lead_id=lead.pk,
            to_stage=to,
            by=request.user,
            owner_id=data.get("owner") or None,
            amount=data.get("amount") or None,
            upsell_accepted=data.get("upsell_accepted") in ("on", "true", "1"),
            upsell_amount=data.get("upsell_amount") or None,
            reason=data.get("reason", ""),
            within=within,
        )
    except ObjectDoesNotExist as exc:
        raise Http404("No lead you may see has this id.") from exc
    except Conflict as exc:
        status, outcome, message = 409, "refused", exc.detail
    except ValidationError as exc:
        status, outcome, message = 400, "refused", error_text(exc)
    else:
        moved.refresh_from_db()
        message = _moved(moved, to, owner_before=lead.owner_id)
    if request.headers.get("X-Board"):
        context = board_context(request, team=team, outcome=outcome, message=message)
        return render(request, "desk/_board.html", context, status=status)
    (messages.success if status == 200 else messages.error)(request, message)
    return redirect(_board_url(team))
