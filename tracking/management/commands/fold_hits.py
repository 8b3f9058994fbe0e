from django.core.management.base import BaseCommand

from tracking.fold import fold_all


class Command(BaseCommand):
    help = "Fold every waiting hit into interactions and scores now (the worker does it every 2 seconds)."

    def handle(self, *args, **options):
        self.stdout.write(f"Folded {fold_all()} hits.")
