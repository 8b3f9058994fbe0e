"""The keys that find likely duplicate contacts (crm.selectors.duplicate_groups), as columns the
database computes from the stored e-mail and phone (GENERATED ALWAYS … STORED), with an index for
each signal: same name and company, same e-mail local part (plus tag and dots ignored), same last
seven phone digits. Adding a stored generated column rewrites crm_contact once (PostgreSQL) or
rebuilds it (SQLite)."""

from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import Concat, Left, Replace, Right, StrIndex, Upper


def _before(text, mark):
    return Left(text, StrIndex(Concat(text, Value(mark)), Value(mark)) - 1)


EMAIL_LOCAL = Replace(_before(_before(F("email"), "@"), "+"), Value("."), Value(""))


class Migration(migrations.Migration):
    dependencies = [("crm", "0008_staff_profile")]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="email_local",
            field=models.GeneratedField(
                db_persist=True,
                expression=EMAIL_LOCAL,
                output_field=models.CharField(max_length=254),
                help_text="The e-mail's local part without plus tag and dots: finds the same person at another address.",
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="phone_tail",
            field=models.GeneratedField(
                db_persist=True,
                expression=Right(F("phone"), 7),
                output_field=models.CharField(max_length=20),
                help_text="The phone's last seven digits: finds the same number typed with another area code.",
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(Upper("last_name"), Upper("first_name"), F("company"), name="contact_name_company_idx"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["email_local", "id"], name="contact_email_local_idx"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["phone_tail", "id"], name="contact_phone_tail_idx"),
        ),
    ]
