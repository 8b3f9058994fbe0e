from django.core.management.base import BaseCommand

from leads.scores import count_closing_tallies


class Command(BaseCommand):
    help = (
        "Give every closed lead without a closing tally one (a recount of its interactions under the published "
        "rules, its stage left as it is), so that score analysis reads the tallies instead of the interactions. "
        "For a book whose leads closed before closing tallies were kept; a publish's rescore does it too."
    )

    def handle(self, *args, **options):
        counted = count_closing_tallies()
        self.stdout.write(self.style.SUCCESS(f"Counted the closing tally of {counted} closed leads."))
