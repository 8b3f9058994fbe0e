"""What prospects do with what marketing sent them: tracked addresses, the raw hits on them (and
on the website script), and what the fold made of those hits.

Raw hits (`Hit`) are appended by the hottest requests the product has (every open, every page
view) and never touch a lead there; `tracking.fold` turns them into interactions and scores in
bounded batches, each hit once. On PostgreSQL the hits table is partitioned by month, so keeping
them for `CRM_TRACKING_KEEP_DAYS` drops whole partitions instead of deleting rows (docs/tracking.md).
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone


def hash_site_key(raw_key: str) -> str:
    import hashlib

    return hashlib.sha256(raw_key.encode()).hexdigest()


class SiteKey(models.Model):
    """The key the website script is given (data-key): only its hash is stored. Beacons are
    taken only for pages on its allowed origins; those origins are also where tracked links may
    send people."""

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=12, help_text="The key's first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    allowed_origins = models.JSONField(default=list, help_text='e.g. ["https://www.example.com"]')
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name


class Purpose(models.TextChoices):
    CLICK = "click", "Link"
    OPEN = "open", "Open image"
    SCAN = "scan", "QR code"
    FORWARD = "forward", "Forward form"


class TrackedLink(models.Model):
    """One tracked address (/t/, /o/ or /f/ + its token): what it is on (an e-mail by its outbox
    key, a letter, an offer), whose it is (a lead, or nobody for an offer's printed address) and
    where it sends people. Its token is its id, signed (tracking.tokens): no personal data, and
    nobody can make it point elsewhere. Rows are written with the e-mail or letter and never
    changed, but for an offer's printed address, which follows the offer's landing page."""

    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    url = models.URLField(max_length=1000, blank=True, help_text="Where a click or scan goes.")
    # Indexed by trackedlink_lead_idx (lead, purpose): a second index of lead alone cost every
    # insert (three to five links an e-mail) and found nothing the pair does not.
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    email_key = models.CharField(max_length=200, blank=True, help_text="The outbox key of the e-mail it is in.")
    # letter and offer: indexed only where set (an e-mail's links have no letter, most no offer).
    letter = models.ForeignKey(
        "followups.Letter",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tracked_links",
        db_index=False,
    )
    offer = models.ForeignKey(
        "campaigns.Offer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["email_key"], name="trackedlink_email_idx"),
            models.Index(fields=["lead", "purpose"], name="trackedlink_lead_idx"),
            models.Index(fields=["letter"], name="trackedlink_letter_idx", condition=Q(letter__isnull=False)),
            models.Index(fields=["offer"], name="trackedlink_offer_idx", condition=Q(offer__isnull=False)),
        ]

    def __str__(self):
        return f"{self.purpose} link {self.pk}"


class HitKind(models.TextChoices):
    OPEN = "open", "Open"
    CLICK = "click", "Click"
    SCAN = "scan", "Scan"
    VIEW = "view", "Page view"
    LEAVE = "leave", "Left a page"


class Hit(models.Model):
    """One raw hit, appended by the request and folded later (tracking.fold). `machine` holds
    what the request itself gave away (a scanner's agent, a privacy proxy); the fold adds what
    only hindsight shows (too soon after sending, every link at once). The client's address is
    kept truncated (`network`: /24 for IPv4, /48 for IPv6), never whole."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=8, choices=HitKind.choices)
    link_id = models.BigIntegerField(null=True, blank=True)
    site_key_id = models.IntegerField(null=True, blank=True)
    visitor = models.CharField(max_length=64, blank=True)
    url = models.CharField(max_length=1000, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    seconds = models.PositiveIntegerField(null=True, blank=True)
    agent = models.CharField(max_length=300, blank=True)
    network = models.CharField(max_length=45, blank=True)
    machine = models.CharField(max_length=40, blank=True, help_text="Why the request looks like a machine's.")

    class Meta:
        indexes = [
            models.Index(fields=["link_id"], name="hit_link_idx"),
            # Only hits with a visitor (page views): an open or a click has none, and every
            # one of them wrote an entry of "" into the index before.
            models.Index(fields=["visitor"], name="hit_visitor_idx", condition=~Q(visitor="")),
        ]

    def __str__(self):
        return f"{self.kind} hit {self.pk}"


class FoldCursor(models.Model):
    """How far the fold has come: every hit with an id up to `last_hit_id` is folded. One row,
    locked by the fold, moved in the same transaction as what it folded."""

    last_hit_id = models.BigIntegerField(default=0)
    folded = models.BigIntegerField(default=0, help_text="Hits folded so far.")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"folded up to hit {self.last_hit_id}"


class ScoredBatch(models.Model):
    """A batch the score pass folded, waiting for the count pass (tracking.fold.count_batch): the
    count pass counts the same batches, so a hit is judged a person's or a machine's by the same
    neighbours (a scanner's clicks in one second) in both."""

    upto = models.BigIntegerField(primary_key=True, help_text="The batch's last hit id.")
    after = models.BigIntegerField(help_text="The hit id the batch began after.")
    hits = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.hits} hits after {self.after} up to {self.upto}"


class Visitor(models.Model):
    """An anonymous visitor id the website script keeps in the site's own storage; `lead` once
    they are known (a form with the id, or a tracked link followed to the site)."""

    token = models.CharField(max_length=64, unique=True)
    site_key = models.ForeignKey(SiteKey, null=True, on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["lead"], name="visitor_lead_idx")]

    def __str__(self):
        return f"visitor {self.token[:8]}"


class Visit(models.Model):
    """One visitor's session on the site (page views less than CRM_TRACKING_SESSION_MINUTES
    apart), folded into one `web_visit` interaction once the visitor is known."""

    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="visits")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    interaction = models.ForeignKey(
        "leads.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    last_hit_at = models.DateTimeField()
    pages = models.PositiveIntegerField(default=0)
    seconds = models.PositiveIntegerField(default=0)
    page_seconds = models.JSONField(default=dict, help_text="Seconds on each page (the most reported).")
    landing_url = models.CharField(max_length=1000, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    return_visit = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["visitor", "-last_hit_at"], name="visit_visitor_idx"),
            models.Index(fields=["utm_source", "started_at"], name="visit_source_idx"),
        ]

    def __str__(self):
        return f"visit of {self.pages} pages"


class LeadActivity(models.Model):
    """What a lead's prospect did in one hour: the sums the engagement panel and the queue read
    ("since our last contact", to the hour), kept by the fold."""

    # Found by one_activity_row_per_lead_hour (lead, hour): no index of lead alone to write too.
    # No foreign-key constraint in the database (db_constraint=False): the fold writes these rows
    # by the hundred thousand, and checking each new one against its lead (a KEY SHARE lock on the
    # lead) cost its commit seconds. They are derived: the fold writes them only for leads it
    # just read, and a lead's delete still takes them with it (Django's CASCADE).
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    hour = models.DateTimeField()
    opens = models.PositiveIntegerField(default=0)
    machine_opens = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    scans = models.PositiveIntegerField(default=0)
    forwards = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    seconds = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lead", "hour"], name="one_activity_row_per_lead_hour")]

    def __str__(self):
        return f"lead {self.lead_id} at {self.hour:%Y-%m-%d %H}h"


class Scope(models.TextChoices):
    EMAIL = "email", "E-mail"
    LETTER = "letter", "Letter"
    OFFER = "offer", "Offer"


class Tally(models.Model):
    """Counts per e-mail (by outbox key), letter or offer, kept by the fold for the reports: raw
    hits expire, these do not."""

    scope = models.CharField(max_length=8, choices=Scope.choices)
    ref = models.CharField(max_length=200)
    human_opens = models.PositiveIntegerField(default=0)
    machine_opens = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    machine_clicks = models.PositiveIntegerField(default=0)
    scans = models.PositiveIntegerField(default=0)
    forwards = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "ref"], name="one_tally_per_thing")]
        verbose_name_plural = "tallies"

    def __str__(self):
        return f"{self.scope} {self.ref}"


class ScoredMark(models.Model):
    """ "This e-mail's open (this link's click, this letter's scan) already scored today": an open
    scores once per e-mail per day, the rest are only counted. Kept two days."""

    key = models.CharField(max_length=120)
    day = models.DateField()
    hit_id = models.BigIntegerField(
        null=True, blank=True, help_text="The open or click that took it: the count pass reads an implied open from it."
    )

    class Meta:
        # A constraint rather than unique=True, which on PostgreSQL adds a second index for LIKE
        # that no query uses; the fold writes marks by the hundred thousand.
        constraints = [models.UniqueConstraint(fields=["key"], name="one_mark_per_key")]

    def __str__(self):
        return self.key


class PendingRescore(models.Model):
    """A lead the fold gave interactions, waiting for its one rescore (tracking.engaged): however
    many batches touched it meanwhile, it is rescored once. `last_activity_at` is the newest of
    those interactions; `scanned`, whether one was a QR scan (a response: a list name or an
    unclosed prospect becomes an inquiry)."""

    # No foreign-key constraint in the database, as LeadActivity's (a mark whose lead is gone is
    # dropped by the rescore, which reads only leads that exist).
    lead = models.OneToOneField(
        "leads.Lead", primary_key=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    last_activity_at = models.DateTimeField()
    scanned = models.BooleanField(default=False)
    # When the lead was first marked (a later batch leaves it): while the fold works through a
    # backlog, a mark waits for it to be folded, but never longer than CRM_TRACKING_RESCORE_WAIT.
    marked_at = models.DateTimeField(db_default=Now())

    def __str__(self):
        return f"lead {self.lead_id} to rescore"
