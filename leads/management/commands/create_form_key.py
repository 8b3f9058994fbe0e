from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from config.errors import error_text
from leads.capture import create_form_key


class Command(BaseCommand):
    help = "Create a web-form key for POST /api/v1/capture/. The key is printed once, on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="What the key is for, e.g. 'website contact form'.")
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            dest="origins",
            help="A website origin allowed to post from the browser (CORS), e.g. https://example.com. Repeatable.",
        )
        parser.add_argument("--offer-code", default="", help="Offer code for leads from this form.")

    def handle(self, *args, name, origins, offer_code, **options):
        try:
            form_key, raw = create_form_key(name=name, allowed_origins=origins, default_offer_code=offer_code)
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from exc
        self.stdout.write(f"Form key '{form_key.name}' created. Store it now: it is not shown again.")
        self.stdout.write(raw)
