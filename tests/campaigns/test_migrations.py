"""Campaign names become unique in any case (migrations 0005 and 0006) on a database that already
holds duplicates: the duplicates are renamed, the oldest of each name keeps it, nothing fails."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models.functions import Lower

BEFORE = [("campaigns", "0004_campaign_archived_and_constraint_messages")]


@pytest.mark.django_db(transaction=True)
def test_duplicate_campaign_names_are_renamed_instead_of_breaking_the_migration():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    Old = executor.loader.project_state(BEFORE).apps.get_model("campaigns", "Campaign")
    names = ["Spring", "spring", "Spring (2)", "SPRING", "Fall", "x" * 200, "X" * 200]
    ids = [Old.objects.create(name=name).pk for name in names]

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from campaigns.models import Campaign

    renamed = dict(Campaign.objects.values_list("pk", "name"))
    assert [renamed[pk] for pk in ids] == [
        "Spring",
        "spring (3)",
        "Spring (2)",
        "SPRING (4)",
        "Fall",
        "x" * 200,
        "X" * 196 + " (2)",
    ]
    lowered = list(Campaign.objects.annotate(key=Lower("name")).values_list("key", flat=True))
    assert len(set(lowered)) == len(lowered)
