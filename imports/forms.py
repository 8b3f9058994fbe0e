"""The import page's forms: the upload, how the file is read, and the mapping with the choices."""

from django import forms

from imports.fields import FIELD_CHOICES, check_mapping
from imports.models import DuplicatePolicy, ImportMode
from imports.reading import DELIMITER_NAMES, ENCODINGS


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Comma, semicolon or tab delimited; UTF-8, Windows-1252 or Latin-1. The first line names the "
        "columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,text/csv,text/plain"}),
    )
    list_name = forms.CharField(
        label="List name", max_length=200, help_text="As the scoreboard will show it, e.g. “Plumbers, Ohio, spring”."
    )
    vendor = forms.CharField(label="Vendor", max_length=200, required=False, help_text="Who sold you the list.")
    price = forms.CharField(
        label="Price",
        max_length=20,
        required=False,
        help_text="What it cost, so the scoreboard can show what it earned.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class ReadingForm(forms.Form):
    encoding = forms.ChoiceField(label="Encoding", choices=list(ENCODINGS.items()))
    delimiter = forms.ChoiceField(
        label="Delimiter", choices=[(d, name.capitalize()) for d, name in DELIMITER_NAMES.items()]
    )


class MappingForm(forms.Form):
    """A field for each column (named col_<index>), then the two choices the user must make."""

    mode = forms.ChoiceField(
        label="If some rows have errors",
        choices=ImportMode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether errors stop the whole import."},
    )
    duplicates = forms.ChoiceField(
        label="If someone is already in the CRM (same e-mail or phone)",
        choices=DuplicatePolicy.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happens to people you already have."},
    )

    def __init__(self, *args, header: list[str], mapping: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.header = header
        for i, name in enumerate(header):
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=name or f"Column {i + 1}",
                choices=FIELD_CHOICES,
                required=False,
                initial=mapping[i] if i < len(mapping) else "",
            )

    def clean(self):
        cleaned = super().clean()
        for message in check_mapping(self.mapping()).get("mapping", []):
            self.add_error(None, message)
        return cleaned

    def column_fields(self):
        return [self[f"col_{i}"] for i in range(len(self.header))]

    def mapping(self) -> list[str]:
        """The field of each column as posted (what the preview shows, even before validation)."""
        valid = {key for key, _label in FIELD_CHOICES}
        chosen = []
        for i in range(len(self.header)):
            name = f"col_{i}"
            value = self.data.get(name, "") if self.is_bound else self.fields[name].initial
            chosen.append(value if value in valid else "")
        return chosen
