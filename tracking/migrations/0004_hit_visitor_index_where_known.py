"""hit_visitor_idx only where a hit has a visitor (page views). An open or a click has none, and
each one wrote an entry of "" into the index: one index entry fewer for every open and click.
The fold's and erasure's lookups by visitor name a visitor, so they still read the index."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracking', '0003_trackedlink_indexes_where_set'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='hit',
            name='hit_visitor_idx',
        ),
        migrations.AddIndex(
            model_name='hit',
            index=models.Index(condition=models.Q(('visitor', ''), _negated=True), fields=['visitor'], name='hit_visitor_idx'),
        ),
    ]
