"""Browser forms for leads."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict

from config.ids import parse_id
from config.sorting import header_sort
from leads.filters import DEFAULT_SORT, SORT_CHOICES, SORTS, parse_sort
from leads.kinds import InteractionKind, Source, Stage
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


class FocusFirstError:
    def focus_first_error(self) -> None:
        """Autofocus the first field with an error: the keyboard lands where the fix is needed."""
        for name in self.fields:
            if name in self.errors:
                self.fields[name].widget.attrs["autofocus"] = True
                return


def _choice(label: str, choices, refused: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        required=False,
        label=label,
        choices=choices,
        error_messages={"invalid_choice": refused},
        widget=forms.Select(attrs={"class": "filter-select"}),
    )


class LeadSearchForm(forms.Form):
    """The lead list's search, filters and sort, read from the URL (the form is a GET), so a
    view can be bookmarked and shared and every page link keeps it. A value the list does not
    know is refused with a message and ignored; the rest still apply."""

    FILTERS = ("q", "stage", "temperature", "source", "owner", "sort")

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search leads",
        error_messages={"max_length": "Keep the search under 200 characters: showing every lead."},
    )
    stage = _choice("Stage", [("", "Any stage"), *Stage.choices], "Not a stage: showing every stage.")
    temperature = _choice(
        "Temperature", [("", "Any temperature"), *Temperature.choices], "Not a temperature: showing all of them."
    )
    source = _choice("Source", [("", "Any source"), *Source.choices], "Not a source: showing every source.")
    owner = _choice("Owner", [], "Nobody leads can belong to: showing everyone's.")
    sort = forms.ChoiceField(
        required=False,
        choices=SORT_CHOICES,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": "Sort by score, created, last activity, name or stage (a minus sign first for the "
            "other direction): showing the highest score first."
        },
    )

    def __init__(self, data=None, *, salespeople=()):
        super().__init__(data)
        self.fields["owner"].choices = [
            ("", "Anyone"),
            ("me", "Me"),
            ("none", "Nobody yet"),
            *((str(person.pk), person.username) for person in salespeople),
        ]

    def criteria(self) -> dict[str, str]:
        """The valid values (after is_valid()), for leads.filters.filter_lead_list: a refused
        value counts as not given."""
        data = getattr(self, "cleaned_data", {})
        criteria = {name: data.get(name) or "" for name in self.FILTERS}
        criteria["sort"] = criteria["sort"] or DEFAULT_SORT
        return criteria

    def query(self) -> QueryDict:
        """The query string of the valid values (after is_valid()): what the sort headers, the
        pages, the export and the bulk hand-over carry on, and nothing a URL smuggled in."""
        query = QueryDict(mutable=True)
        for name, value in self.criteria().items():
            if value and not (name == "sort" and value == DEFAULT_SORT):
                query[name] = value
        return query

    # The list's columns in the order they show; those named in leads.filters.SORTS sort.
    COLUMNS = (
        ("name", "Lead"),
        ("company", "Company"),
        ("stage", "Stage"),
        ("score", "Score"),
        ("source", "Source"),
        ("owner", "Owner"),
        ("estimated_value", "Estimated value"),
        ("created", "Created"),
        ("activity", "Last activity"),
    )

    def headers(self) -> list[dict]:
        """Each column's header: its label and, for a sortable one, the sort a click asks for
        (the other direction when it is the current sort, else its natural first direction)
        and its aria-sort."""
        key, descending = parse_sort(self.criteria()["sort"])
        current = f"-{key}" if descending else key
        headers = []
        for name, label in self.COLUMNS:
            column = SORTS.get(name)
            header = {"key": name, "label": label, "sort": "", "aria_sort": ""}
            if column is not None:
                header["sort"], header["aria_sort"] = header_sort(
                    name, current, first_descending=column.first == "desc"
                )
            headers.append(header)
        return headers


class LeadIdsField(forms.Field):
    """The leads ticked on the list: one `lead` value each, ids only, each once."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": "Tick at least one lead.", "invalid": "Those are not leads of this list."}

    def __init__(self, *, most: int, **kwargs):
        self.most = most
        super().__init__(**kwargs)

    def to_python(self, value) -> list[int]:
        ids = [parse_id(item) for item in value or []]
        if any(pk is None for pk in ids):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        ids = list(dict.fromkeys(ids))
        if len(ids) > self.most:
            raise ValidationError(f"Hand over at most {self.most} leads at a time.", code="too_many")
        return ids


class BulkHandoverForm(forms.Form):
    """A manager hands the leads ticked on the list to one salesperson."""

    owner = forms.TypedChoiceField(
        coerce=int,
        label="Hand the selected leads to",
        error_messages={"required": "Choose a salesperson.", "invalid_choice": "Choose a salesperson from the list."},
    )
    lead = LeadIdsField(most=100)

    def __init__(self, data=None, *, salespeople=()):
        super().__init__(data)
        self.fields["owner"].choices = [("", "— choose a salesperson —")] + [
            (person.pk, person.username) for person in salespeople
        ]


class LeadEditForm(FocusFirstError, forms.Form):
    """The facts people may correct on a lead and its contact. Stage, score, owner and the
    history are not here: they move only through their own actions."""

    CONTACT_FIELDS = (
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
        "persona",
        "mailing_address",
        "consent",
        "do_not_contact",
    )
    LEAD_FIELDS = ("inquiry_reason", "desired_outcome", "estimated_value")

    first_name = forms.CharField(required=False, max_length=100, label="First name")
    last_name = forms.CharField(required=False, max_length=100, label="Last name")
    email = forms.CharField(
        required=False,
        max_length=254,
        label="E-mail",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        required=False,
        max_length=40,
        label="Phone",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text="Any format; stored as +15551234567.",
    )
    company = forms.CharField(required=False, max_length=200, label="Company")
    title = forms.CharField(required=False, max_length=150, label="Job title")
    persona = forms.CharField(required=False, max_length=100, label="Persona")
    mailing_address = forms.CharField(
        required=False,
        max_length=1000,
        label="Postal address",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where letters go: street, town, postal code.",
    )
    consent = forms.BooleanField(required=False, label="Agreed to hear from marketing")
    do_not_contact = forms.BooleanField(
        required=False, label="Do not contact", help_text="No letters or e-mails go to them while this is ticked."
    )
    inquiry_reason = forms.CharField(
        required=False, max_length=5000, label="Why they inquired", widget=forms.Textarea(attrs={"rows": 3})
    )
    desired_outcome = forms.CharField(
        required=False, max_length=5000, label="What result they want", widget=forms.Textarea(attrs={"rows": 3})
    )
    estimated_value = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        label="Estimated value",
        help_text=f"What the sale could be worth, in {settings.CRM_CURRENCY}.",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )

    def __init__(self, data=None, *, lead):
        contact = lead.contact
        initial = {name: getattr(contact, name) for name in self.CONTACT_FIELDS if name != "company"}
        initial["company"] = contact.company.name if contact.company else ""
        initial.update({name: getattr(lead, name) for name in self.LEAD_FIELDS})
        super().__init__(data, initial=initial)

    def contact_fields(self):
        return [self[name] for name in self.CONTACT_FIELDS]

    def lead_fields(self):
        return [self[name] for name in self.LEAD_FIELDS]

    def contact_changes(self) -> dict:
        """What changed on the contact, named as crm.services.update_contact takes it."""
        changes = {name: self.cleaned_data[name] for name in self.CONTACT_FIELDS if name in self.changed_data}
        if "company" in changes:
            changes["company_name"] = changes.pop("company")
        return changes

    def lead_changes(self) -> dict:
        """What changed on the lead, as leads.services.update_lead (the API's PATCH) takes it."""
        return {name: self.cleaned_data[name] for name in self.LEAD_FIELDS if name in self.changed_data}

    def add_refusal(self, exc: ValidationError) -> None:
        """A service's field errors beside the fields they are about."""
        for field, errors in exc.message_dict.items():
            field = "company" if field == "company_name" else field
            self.add_error(field if field in self.fields else None, errors)


class LogInteractionForm(FocusFirstError, forms.Form):
    """Kind, note and duration, plus one optional select per scripted question; given the `lead`
    (for someone who may correct its facts), also why they inquired and the result they want,
    prefilled with what the lead has, so the call that learns them records them."""

    FACT_FIELDS = ("inquiry_reason", "desired_outcome")

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

    def __init__(self, *args, book: RuleBook, lead=None, **kwargs):
        super().__init__(*args, **kwargs)
        if lead is not None:
            for name, label in (("inquiry_reason", "Why they inquired"), ("desired_outcome", "What result they want")):
                # The value shown goes back with the form (show_hidden_initial), so only what the user
                # changed is saved: a fact someone else recorded meanwhile is not overwritten.
                self.fields[name] = forms.CharField(
                    required=False,
                    max_length=5000,
                    label=label,
                    initial=getattr(lead, name),
                    show_hidden_initial=True,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
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

    def fact_fields(self):
        return [self[name] for name in self.FACT_FIELDS if name in self.fields]

    def fact_changes(self) -> dict[str, str]:
        """The facts the caller changed (after is_valid()), as leads.services.update_lead takes them."""
        return {name: self.cleaned_data[name] for name in self.FACT_FIELDS if name in self.changed_data}

    def answers(self) -> list[dict[str, str]]:
        return [
            {"question": q.key, "answer": self.cleaned_data[f"q_{q.key}"]}
            for q in self.questions
            if self.cleaned_data.get(f"q_{q.key}")
        ]
