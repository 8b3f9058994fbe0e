"""`python manage.py refresh_reports`: count every stale day of the scoreboard's rollups now
(after a bulk load or a change of CRM_TIME_ZONE), instead of waiting for the beat task."""

from django.core.management.base import BaseCommand

from reports import rollups


class Command(BaseCommand):
    help = "Count every stale day of the scoreboard's rollups again (the beat task does it in steps)."

    def handle(self, *args, **options):
        days = rollups.refresh_all()
        self.stdout.write(f"{days} day(s) counted.")
