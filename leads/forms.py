"""Browser forms for leads."""

from django import forms

from leads.kinds import InteractionKind, Stage
from leads.models import Temperature
from scoring.engine import RuleBook

# What people log by hand; the rest (opens, clicks, visits) arrive from other systems.
HAND_LOGGED_KINDS = [
    (kind.value, kind.label)
    for kind in (
        InteractionKind.CALL_INBOUND, InteractionKind.CALL_OUTBOUND, InteractionKind.MEETING,
        InteractionKind.NOTE, InteractionKind.ANSWERS, InteractionKind.QR_SCAN,
        InteractionKind.WEB_VISIT, InteractionKind.EMAIL_OPEN, InteractionKind.EMAIL_CLICK,
        InteractionKind.EMAIL_FORWARD, InteractionKind.LETTER_SENT, InteractionKind.FORM,
    )
]


class LeadSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    stage = forms.ChoiceField(required=False, choices=[("", "Any stage"), *Stage.choices])
    temperature = forms.ChoiceField(required=False, choices=[("", "Any temperature"), *Temperature.choices])
    mine = forms.BooleanField(required=False, label="Only mine")


class LogInteractionForm(forms.Form):
    """Kind, note and duration, plus one optional select per scripted question."""

    kind = forms.ChoiceField(choices=HAND_LOGGED_KINDS, initial=InteractionKind.CALL_INBOUND)
    duration_minutes = forms.IntegerField(required=False, min_value=0, max_value=1440, label="Minutes")
    note = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    offer_code = forms.CharField(required=False, max_length=40, label="Offer or letter code")

    def __init__(self, *args, book: RuleBook, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = book.questions
        for question in book.questions:
            self.fields[f"q_{question.key}"] = forms.ChoiceField(
                required=False,
                label=question.text,
                choices=[("", "— not asked —")]
                + [(o.key, f"{o.label} ({o.points:+d})") for o in question.options],
            )

    def question_fields(self):
        return [self[f"q_{question.key}"] for question in self.questions]

    def answers(self) -> list[dict[str, str]]:
        return [
            {"question": q.key, "answer": self.cleaned_data[f"q_{q.key}"]}
            for q in self.questions
            if self.cleaned_data.get(f"q_{q.key}")
        ]
