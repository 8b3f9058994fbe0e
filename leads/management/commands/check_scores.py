from django.core.management.base import BaseCommand, CommandError

from leads.checks import WRONG, disagreements, rescore
from leads.models import Lead
from scoring.services import published_rule_book


class Command(BaseCommand):
    help = (
        "Check that every lead's stored score and temperature are what the scoring engine computes from its "
        "facts. Lists each lead whose score is wrong (not the engine's) and exits with 1 if there is one; "
        "counts those only behind (recency decay or a rescore job not yet run; listed with -v 2). --fix "
        "rescores every lead that disagrees, through the services."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Rescore the leads that disagree (wrong or behind) under the published rules.",
        )

    def handle(self, *args, fix: bool, verbosity: int, **options):
        version = published_rule_book().version
        wrong, behind = [], []
        for item in disagreements():
            if item.kind == WRONG:
                wrong.append(item.lead_id)
                self.stdout.write(f"Wrong: {item}")
            else:
                behind.append(item.lead_id)
                if verbosity > 1:
                    self.stdout.write(f"Behind: {item}")
        total = Lead.objects.count()
        if not wrong and not behind:
            self.stdout.write(
                self.style.SUCCESS(f"All {total} leads' scores are the engine's (rules version {version}).")
            )
            return
        self.stdout.write(
            f"{len(wrong) + len(behind)} of {total} leads disagree with the engine under rules version {version}: "
            f"{len(wrong)} wrong, {len(behind)} behind (the nightly decay run or the rescore job catches those up)."
        )
        if fix:
            done = rescore(wrong + behind)
            still = next((item for item in disagreements() if item.kind == WRONG), None)
            if still is not None:
                raise CommandError(f"Rescored {done} leads, yet a score is still wrong: {still}")
            self.stdout.write(self.style.SUCCESS(f"Rescored {done} leads: their scores are the engine's now."))
        elif wrong:
            raise CommandError(
                f"{len(wrong)} stored score(s) are not the engine's: `manage.py check_scores --fix` rescores them."
            )
