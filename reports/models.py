"""The scoreboard's daily rollups: each cohort day's figures, counted once and kept current.

A report is over the leads that first inquired in a period (reports.selectors.cohort). Counting
those leads again on every page view costs as much as the book is big; a day's figures, once
counted, are a handful of rows. So every figure is kept per company day (`CohortDay`,
`CohortSource`, `CohortSpread`, `CohortTrait`) and a report adds the days of its period up.

A rollup is only as good as its freshness. Whatever changes a lead the scoreboard reads (a stage,
an owner, an amount, a score band, a rating, a trait of its contact, company or offer: any
service, a bulk UPDATE, an import) makes the database itself mark that lead's quarter of an hour
stale (`StaleQuarter`, written by triggers: migrations 0001 and 0003), and a report counts a
stale day from the leads, live. The beat task `reports.tasks.bulk_refresh_rollups` counts stale
days again into their rows. Either way a figure is the same as the direct aggregate at every
moment: tests/reports/test_rollups.py proves it on random books. How it works:
docs/architecture.md, "The scoreboard's rollups".
"""

from django.conf import settings
from django.db import models

QUARTER_SECONDS = 900  # every zone's offset is a whole number of quarters: a quarter is in one company day


class StaleQuarter(models.Model):
    """A quarter of an hour (seconds since 1970 ÷ 900, UTC) in which some lead's first inquiry
    falls whose figures changed since its day was counted. Written by database triggers only."""

    quarter = models.BigIntegerField(primary_key=True)

    def __str__(self):
        return f"stale quarter {self.quarter}"


class CountingDay(models.Model):
    """A day a refresh took off the stale quarters and is counting now: still stale to every
    report until the refresh stores its rows (and removes this one) in the same transaction. The
    quarters go first, in a short transaction of their own, so that a lead written meanwhile marks
    its quarter stale again without waiting for the counting."""

    day = models.DateField(primary_key=True)

    def __str__(self):
        return f"counting {self.day}"


class RollupState(models.Model):
    """One row: the zone the rollups' days are counted in. Another zone (CRM_TIME_ZONE changed)
    makes every day stale until the rollups are counted again in it."""

    zone = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return f"rollups counted in {self.zone or 'no zone yet'}"


class CohortDay(models.Model):
    """One day's cohort, per owner: the summary's, the funnel's and the weekly trend's counts."""

    day = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    leads = models.IntegerField(default=0)
    inquiries = models.IntegerField(default=0)
    sales_ready = models.IntegerField(default=0)
    won = models.IntegerField(default=0)
    unclosed = models.IntegerField(default=0)
    dead = models.IntegerField(default=0)
    customers = models.IntegerField(default=0)
    reached_sales_ready = models.IntegerField(default=0)
    upsells = models.IntegerField(default=0)
    referrals = models.IntegerField(default=0)
    hot_unanswered = models.IntegerField(default=0)
    # Sums and how many amounts each holds: a mean is sum ÷ count, as AVG skips a missing amount.
    revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    priced = models.IntegerField(default=0)
    upsell_revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    with_upsell = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    with_upsell_priced = models.IntegerField(default=0)
    without_upsell = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    without_upsell_priced = models.IntegerField(default=0)
    # The pipeline calculator's open leads (every day's, whatever the period): how many, what
    # their estimates add up to, and how many have none.
    open_leads = models.IntegerField(default=0)
    open_value = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    open_without_estimate = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "owner"], name="cohortday_day_idx")]

    def __str__(self):
        return f"{self.day}: {self.leads} leads"


class CohortSource(models.Model):
    """One day's cohort per value of one grouping (utm_source, campaign, offer, placement, list):
    the return-on-source table's counts and sales' ratings."""

    day = models.DateField()
    grouping = models.CharField(max_length=16)
    value = models.CharField(max_length=100, blank=True, help_text="The id, or the UTM source in lower case.")
    leads = models.IntegerField(default=0)
    won = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    rating_total = models.IntegerField(default=0)
    ratings = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "grouping"], name="cohortsource_day_idx")]

    def __str__(self):
        return f"{self.day} {self.grouping}={self.value}: {self.leads} leads"


class CohortTrait(models.Model):
    """One day's cohort per value of one trait of its leads (reports.traits: an industry, a size
    band, a title…): how many leads hold it. The ideal customer profile's share among leads."""

    day = models.DateField()
    trait = models.CharField(max_length=16)
    value = models.TextField(blank=True, help_text='As reports.traits computes it; "" for none.')
    leads = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["trait", "value", "day"], name="cohorttrait_value_idx")]

    def __str__(self):
        return f"{self.day} {self.trait}={self.value}: {self.leads} leads"


class CohortSpread(models.Model):
    """How one day's cohort spreads over the values of a measure, per owner: won sales by days of
    cycle and answered hot leads by seconds to the first call (their medians), open leads by
    score band (the score distribution)."""

    day = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    measure = models.CharField(max_length=8)
    value = models.IntegerField()
    leads = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["measure", "day"], name="cohortspread_measure_idx")]

    def __str__(self):
        return f"{self.day} {self.measure}={self.value}: {self.leads}"
