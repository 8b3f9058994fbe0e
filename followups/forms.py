"""Browser forms for follow-ups: a callback (or a new time for one), and a script."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from config.times import DateTimeField
from crm.roles import Role
from followups.models import FollowUpScript
from followups.scripts import validate_questions
from followups.selectors import lead_followups
from leads.kinds import Stage


def assignees_for(lead):
    """Who may take a callback on this lead: CSRs, marketing and managers, and a salesperson
    who may see it (its owner, or any when it waits unowned in the sales-ready pool)."""
    staff = Q(groups__name__in=[Role.CSR, Role.MARKETING, Role.MANAGER])
    if lead.owner_id:
        staff |= Q(pk=lead.owner_id)
    elif lead.stage == Stage.SALES_READY:
        staff |= Q(groups__name=Role.SALES)
    return get_user_model().objects.filter(staff, is_active=True).distinct().order_by("username")


class CallbackForm(forms.Form):
    due_at = DateTimeField(label="Call back at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(
        required=False,
        max_length=2000,
        label="What about",
        widget=forms.TextInput(attrs={"placeholder": "e.g. wants the quote for the second unit"}),
    )
    assignee = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False, empty_label="Me")

    def __init__(self, *args, lead, need_note=True, **kwargs):
        super().__init__(*args, **kwargs)
        # What is typed is read in the zone of the request: the user's own (crm.middleware).
        self.fields["due_at"].help_text = f"Your time, {timezone.get_current_timezone_name()}."
        self.fields["assignee"].queryset = assignees_for(lead)
        self.fields["assignee"].label = "Who calls"
        if not need_note:
            del self.fields["note"]


def questions_as_text(questions: list[dict]) -> str:
    return "\n".join(f"{q['key']} | {q.get('kind', 'text')} | {q['text']}" for q in questions or [])


def questions_from_text(text: str) -> list[dict]:
    """One question a line: `key | yes_no or text | the question`."""
    questions = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|", 2)]
        if len(parts) != 3:
            raise ValidationError(f"Line {number}: write key | yes_no or text | the question.")
        questions.append({"key": parts[0], "kind": parts[1], "text": parts[2]})
    return questions


class ScriptForm(forms.ModelForm):
    questions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "true"}),
        help_text="One question a line: key | yes_no or text | the question. A needs_met yes_no question "
        "answered no raises a follow-up for a manager.",
    )

    class Meta:
        model = FollowUpScript
        fields = ["name", "trigger", "delay_days", "assignee_rule", "active"]
        labels = {"delay_days": "Delay (days after the close)", "assignee_rule": "Who calls"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["questions"] = questions_as_text(self.instance.questions)
        self.order_fields(["name", "trigger", "delay_days", "assignee_rule", "questions", "active"])

    def clean_questions(self):
        questions = questions_from_text(self.cleaned_data["questions"])
        try:
            return validate_questions(questions)
        except ValidationError as exc:
            raise ValidationError(
                [f"{_question_name(where)}: {' '.join(m)}" for where, m in exc.message_dict.items()]
            ) from exc

    def save(self, commit=True):
        self.instance.questions = self.cleaned_data["questions"]
        return super().save(commit)


def _question_name(where: str) -> str:
    """questions[2].key → question 3 (key)"""
    match = re.match(r"questions\[(\d+)\](?:\.(\w+))?", where)
    if not match:
        return "Questions"
    number, part = int(match.group(1)) + 1, match.group(2)
    return f"Question {number}" + (f" ({part})" if part else "")


def referral_rows(data, count: int, errors: dict | None = None) -> list[dict]:
    """The referral inputs' values to show again after an error (empty rows otherwise), each
    with its own errors (referrals[i].email → row i). Only filled rows are sent to the service,
    so its index i counts filled rows: they are matched back in that order."""
    keys = ("first_name", "last_name", "email", "phone")
    rows, filled = [], 0
    for i in range(count):
        values = {key: (data.get(f"referral-{i}-{key}", "") if data else "") for key in keys}
        row_errors = []
        if any(value.strip() for value in values.values()):
            prefix = f"referrals[{filled}]"
            row_errors = [m for where, messages in (errors or {}).items() if where.startswith(prefix) for m in messages]
            filled += 1
        rows.append({"i": i, **values, "errors": row_errors})
    return rows


def callback_panel(lead, form: CallbackForm | None = None) -> dict:
    """The lead page's (and the console's) follow-ups panel: what is planned for the lead, and
    the form to schedule a callback."""
    return {
        "lead": lead,
        "followups": lead_followups(lead),
        "callback_form": form or CallbackForm(lead=lead, prefix="callback"),
    }
