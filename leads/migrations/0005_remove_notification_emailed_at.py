# Notification e-mails now go through the outbox (outbox.Email, key notification:<id>). The ones
# not yet e-mailed from the last three days are handed to it first, so none is lost.

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def hand_unsent_to_the_outbox(apps, schema_editor):
    Notification = apps.get_model("leads", "Notification")
    Email = apps.get_model("outbox", "Email")
    pending = Notification.objects.filter(
        emailed_at__isnull=True, created_at__gte=timezone.now() - timedelta(days=3)
    ).exclude(user__email="").select_related("user")
    site = getattr(settings, "CRM_BASE_URL", "")
    Email.objects.bulk_create(
        [
            Email(
                key=f"notification:{n.pk}",
                to_address=n.user.email,
                subject=f"[Lead CRM] {n.message[:80]}",
                text=n.message + (f"\n\nLead: {site}/leads/{n.lead_id}/" if n.lead_id else ""),
            )
            for n in pending
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('leads', '0004_default_rules_of_engagement'),
        ('outbox', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(hand_unsent_to_the_outbox, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='notification',
            name='emailed_at',
        ),
    ]
