"""Browser forms for leads."""

from django import forms

from leads.kinds import InteractionKind, Stage
from leads.models import Temperature
from scoring.engine import RuleBook

# What people log by hand; the rest (opens, clicks, visits) arrive from other systems.
HAND_LOGGED_KINDS = [
    (kind.value, kind.label)
    for kind in (
        InteractionKind.CALL_INBOUND,
        InteractionKind.CALL_OUTBOUND,
        InteractionKind.MEETING,
        InteractionKind.NOTE,
        InteractionKind.ANSWERS,
        InteractionKind.QR_SCAN,
        InteractionKind.WEB_VISIT,
        InteractionKind.EMAIL_OPEN,
        InteractionKind.EMAIL_CLICK,
        InteractionKind.EMAIL_FORWARD,
        InteractionKind.LETTER_SENT,
        InteractionKind.FORM,
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
    duration_minutes = forms.IntegerField(required=False, min_value=0, max_value=1440, label="Minutes on the call")
    note = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    offer_code = forms.CharField(
        required=False,
        max_length=40,
        label="Offer or letter code",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="The code printed on the letter or ad, if the caller has one.",
    )

    def __init__(self, *args, book: RuleBook, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = book.questions
        for question in book.questions:
            self.fields[f"q_{question.key}"] = forms.ChoiceField(
                required=False,
                label=question.text,
                choices=[("", "— not asked —")] + [(o.key, f"{o.label} ({o.points:+d})") for o in question.options],
            )

    def call_fields(self):
        return [self[name] for name in ("kind", "duration_minutes", "offer_code", "note")]

    def question_fields(self):
        return [self[f"q_{question.key}"] for question in self.questions]

    def focus_first_error(self) -> None:
        """Autofocus the first field with an error: the keyboard lands where the fix is needed."""
        for name in self.fields:
            if name in self.errors:
                self.fields[name].widget.attrs["autofocus"] = True
                return

    def answers(self) -> list[dict[str, str]]:
        return [
            {"question": q.key, "answer": self.cleaned_data[f"q_{q.key}"]}
            for q in self.questions
            if self.cleaned_data.get(f"q_{q.key}")
        ]
