from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm.roles import ROLE_BY_SLUG
from crm.services import create_staff_user


class Command(BaseCommand):
    help = "Create a CRM user with a role: csr, sales, marketing or manager."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLE_BY_SLUG))
        parser.add_argument("--password", help="Without it the user cannot log in until one is set.")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--time-zone",
            default="",
            help="The IANA zone their pages show times in (America/New_York); default: CRM_TIME_ZONE.",
        )

    def handle(self, *args, username, role, password, email, time_zone, **options):
        try:
            user = create_staff_user(username=username, role=role, password=password, email=email, time_zone=time_zone)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stdout.write(f"Created {user.username} ({ROLE_BY_SLUG[role]}), id {user.pk}.")
