from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from config.errors import error_text
from tracking.sitekeys import create_site_key


class Command(BaseCommand):
    help = "Create a key for the website script (track.js). The key is printed once, on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="What the key is for, e.g. 'www.example.com'.")
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            dest="origins",
            help="An origin the script runs on, e.g. https://www.example.com. Repeatable; at least one.",
        )

    def handle(self, *args, name, origins, **options):
        try:
            key, raw = create_site_key(name=name, origins=origins)
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from exc
        self.stdout.write(f"Site key '{key.name}' created for {', '.join(key.allowed_origins)}.")
        self.stdout.write("Put this on every page of the site (store the key now: it is not shown again):")
        self.stdout.write(f'  <script src="{settings.CRM_BASE_URL}/track.js" data-key="KEY" async></script>')
        self.stdout.write(raw)
