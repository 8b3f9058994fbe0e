"""A lead's score, saved: the facts the pure engine reads (`scoring.engine`) loaded from a lead
and its interactions, and the result written back with its history (`ScoreChange`), for one
lead or a chunk of them. The engine knows no models; this module is its shell on the lead side.

The tally (`Lead.score_tally`) is what the score needs of a lead's interactions, kept on the lead
so that logging one interaction costs the same on a lead with 3,000 as on a fresh one:

    {"version": 7,                                  # the rules version the counts were made under
     "counts": {"email_open": 12, "web_visit": 3},  # behaviour rule key → interactions it matched
     "answers": {"timeline": ["this_month", "2026-05-02T10:00:00+00:00", 4711]}}
                                                    # question → latest answer, its time and id

`rescore_lead` given the interaction just logged adds it to a tally counted under the same
rules (an answer replaces the held one only if it is later in (occurred_at, id) order, so a
back-dated answer never overrides a newer one) and scores from the tally without reading the
lead's other interactions. Anything else counts every interaction again and writes a fresh
tally: a NULL or other-version tally, a rescore without an interaction, and every bulk rescore
(`rescore_many`, tracking's engagement rescore). Whatever changes a lead's interactions another
way sets the tally to NULL (`forget_tallies`: erasure, the admin).

A closed lead keeps a second one, `Lead.closing_tally`: the tally of its interactions up to its
close (`closed_at`), with who recorded which scripted answer (`"answered"`), for score analysis,
which would otherwise reread every interaction of 200,000 outcomes (reports.analysis). It is
counted and added to alongside the tally, by the same rules: closing a lead counts it, an
interaction dated after the close leaves it alone, and NULL (forgotten, never counted) sends the
analyses back to the interactions for that lead. (The profile a lead closed with is kept apart,
`Lead.closing_profile`, written by the close itself: no recount or forgetting touches it.)
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from config import bulk
from leads.kinds import OPEN_STAGES, OUTCOME_STAGES
from leads.models import Interaction, Lead
from leads.stages import settle_after_rescore
from scoring.engine import HOT, InteractionFact, LeadFacts, RuleBook, Score, rule_counts, score
from scoring.models import ScoreChange
from scoring.services import published_rule_book


def profile_of(lead) -> dict[str, str]:
    """The profile facts of a lead with its contact and company loaded."""
    contact = lead.contact
    company = contact.company
    profile = {"title": contact.title, "persona": contact.persona}
    if company is not None:
        profile |= {
            "industry_code": company.industry_code,
            "size_band": company.size_band,
            "region": company.region,
            "country": company.country,
            "postal_code": company.postal_code,
        }
    return profile


def facts_from_rows(lead, rows: Iterable[tuple], now: datetime) -> LeadFacts:
    """Facts from a lead (with contact and company loaded) and its interaction rows
    (kind, occurred_at, metadata, answers), oldest first."""
    interactions, answers = [], {}
    for kind, occurred_at, metadata, given in rows:
        interactions.append(InteractionFact(kind, occurred_at, metadata or {}))
        for pair in given or []:
            answers[pair["question"]] = pair["answer"]  # the latest answer to a question counts
    return LeadFacts(
        stage=lead.stage,
        interactions=tuple(interactions),
        answers=answers,
        profile=profile_of(lead),
        last_activity_at=lead.last_activity_at,
        now=now,
    )


INTERACTION_FIELDS = ("kind", "occurred_at", "metadata", "answers")


def lead_facts(lead, now=None) -> LeadFacts:
    """Everything the engine needs about one lead: one query for its interactions."""
    rows = lead.interactions.order_by("occurred_at", "id").values_list(*INTERACTION_FIELDS)
    return facts_from_rows(lead, rows, now or timezone.now())


# --- The tally ----------------------------------------------------------------------------------

TALLY_FIELDS = ("id", *INTERACTION_FIELDS)


def _moment(at: datetime) -> datetime:
    """An interaction's time as the database keeps it (a naive one is read in the default time
    zone, as Django saves it), in UTC: a tally's times compare and print alike whoever wrote them."""
    if timezone.is_naive(at):
        at = timezone.make_aware(at, timezone.get_default_timezone())
    return at.astimezone(UTC)


def add_to_tally(tally: dict, pk: int, kind: str, occurred_at: datetime, metadata, given, *, book: RuleBook) -> None:
    """Count one more interaction (its id, kind, time, metadata and answers) into `tally`, in place.

    An answer replaces the one held for its question only when it comes later in (occurred_at, id)
    order: a back-dated answer never overrides a newer one, as when reading them oldest first."""
    counts = tally["counts"]
    for key, number in rule_counts([InteractionFact(kind, occurred_at, metadata or {})], book).items():
        counts[key] = counts.get(key, 0) + number
    at = _moment(occurred_at)
    held_answers = tally["answers"]
    for pair in given or []:
        held = held_answers.get(pair["question"])
        if held is None or (at, pk) >= (datetime.fromisoformat(held[1]), held[2]):
            held_answers[pair["question"]] = [pair["answer"], at.isoformat(), pk]


def tally_rows(rows: Iterable[tuple], book: RuleBook) -> dict:
    """The tally of interaction rows (id, kind, occurred_at, metadata, answers) in any order: the
    same as adding them one by one (add_to_tally), for the price of reading them."""
    interactions, latest = [], {}
    for pk, kind, occurred_at, metadata, given in rows:
        interactions.append(InteractionFact(kind, occurred_at, metadata or {}))
        for pair in given or []:
            held = latest.get(pair["question"])
            if held is None or (occurred_at, pk) >= held[1:]:
                latest[pair["question"]] = (pair["answer"], occurred_at, pk)
    return {
        "version": book.version,
        "counts": dict(rule_counts(interactions, book)),
        "answers": {question: [answer, _moment(at).isoformat(), pk] for question, (answer, at, pk) in latest.items()},
    }


CLOSING_FIELDS = (*TALLY_FIELDS, "author_id")


def closing_rows(rows: Iterable[tuple], closed_at: datetime | None, book: RuleBook) -> dict | None:
    """The closing tally of a lead closed at `closed_at` from its interaction rows (CLOSING_FIELDS,
    any order): the tally of those up to the close, and `"answered"`, how many times each person
    recorded each answer to each question then ([[question, author id, answer, n], ...], sorted).
    None for a lead that was never closed."""
    if closed_at is None:
        return None
    before = [row for row in rows if row[2] <= closed_at]
    tally = tally_rows((row[:5] for row in before), book)
    answered = Counter()
    for *_row, given, author_id in before:
        _count_answers(answered, given, author_id)
    tally["answered"] = _answered_list(answered)
    return tally


def _count_answers(answered: Counter, given, author_id: int | None) -> None:
    if author_id is None:
        return  # a web form's answers: nobody to compare
    for pair in given or []:
        answered[(pair["question"], author_id, pair["answer"])] += 1


def _answered_list(answered: Counter) -> list[list]:
    return [[question, author, answer, n] for (question, author, answer), n in sorted(answered.items())]


def add_to_closing(closing: dict, interaction: Interaction, stored: list, *, book: RuleBook) -> dict:
    """A copy of a closing tally with one more interaction dated up to the close counted in."""
    tally = {"version": book.version, "counts": dict(closing["counts"]), "answers": dict(closing["answers"])}
    add_to_tally(tally, interaction.pk, interaction.kind, interaction.occurred_at, *stored, book=book)
    answered = Counter({(q, author, answer): n for q, author, answer, n in closing["answered"]})
    _count_answers(answered, stored[1], interaction.author_id)
    tally["answered"] = _answered_list(answered)
    return tally


def counted_under(tally, book: RuleBook) -> bool:
    """Whether a stored tally holds counts made under this book (NULL or another version: no)."""
    return isinstance(tally, dict) and tally.get("version") == book.version


def tally_of(lead, book: RuleBook) -> dict:
    """The tally of all of a lead's interactions: one query."""
    return tallies_of(lead, book)[0]


def tallies_of(lead, book: RuleBook) -> tuple[dict, dict | None]:
    """The tally of all of a lead's interactions and its closing tally: one query."""
    rows = list(lead.interactions.order_by().values_list(*CLOSING_FIELDS))
    return tally_rows((row[:5] for row in rows), book), closing_rows(rows, lead.closed_at, book)


def tallies_for(leads: list, book: RuleBook) -> dict[int, tuple[dict, dict | None]]:
    """The tallies and closing tallies of many leads, with one query for all their interactions."""
    rows = defaultdict(list)
    interactions = Interaction.objects.filter(lead_id__in=[lead.pk for lead in leads]).order_by()
    for lead_id, *row in interactions.values_list("lead_id", *CLOSING_FIELDS):
        rows[lead_id].append(row)
    return {
        lead.pk: (
            tally_rows((row[:5] for row in rows[lead.pk]), book),
            closing_rows(rows[lead.pk], lead.closed_at, book),
        )
        for lead in leads
    }


def facts_from_tally(lead, tally: dict, now: datetime) -> LeadFacts:
    """Facts from a lead (with contact and company loaded) and its tally: no interaction read."""
    return LeadFacts(
        stage=lead.stage,
        interactions=(),
        answers={question: held[0] for question, held in tally["answers"].items()},
        profile=profile_of(lead),
        last_activity_at=lead.last_activity_at,
        now=now,
        counts=tally["counts"],
        counts_version=tally["version"],
    )


def forget_tallies(lead_ids: Iterable[int]) -> int:
    """Set the tally and closing tally of these leads to NULL, so their next rescore counts their
    interactions again (and score analysis reads them meanwhile): for whatever changes
    interactions other than by logging one (record_interaction) or a bulk rescore, which keep
    them. Returns how many leads had one."""
    held = Q(score_tally__isnull=False) | Q(closing_tally__isnull=False)
    return Lead.objects.filter(held, pk__in=list(lead_ids)).update(score_tally=None, closing_tally=None)


def apply_score(lead, result: Score, reason: str, now: datetime) -> ScoreChange | None:
    """Put a result on the lead instance; the ScoreChange to keep if anything moved.

    `hot_since` starts when a prospect turns hot and clears when it cools: the response-time
    alerts measure from it. A closed lead's pinned score (won 100) is no prospect turning hot:
    it starts no clock, so a sale is never counted as a hot lead nobody answered."""
    old = (lead.score, lead.temperature, lead.rules_version)
    prospect_hot = result.temperature == HOT and lead.stage in OPEN_STAGES
    if prospect_hot and lead.first_hot_at is None:
        lead.first_hot_at = now  # the scoreboard's response time counts from here, whatever follows
    if prospect_hot and (lead.temperature != HOT or lead.hot_since is None):
        lead.hot_since = now
    elif not prospect_hot:
        lead.hot_since = None
    lead.score, lead.temperature = result.total, result.temperature
    lead.rules_version, lead.score_computed_at = result.rules_version, now
    if lead.inquiry_score is None and lead.inquired_at is not None:
        lead.inquiry_score = result.total  # the score its first inquiry earned: score analysis reads it
    if old == (result.total, result.temperature, result.rules_version):
        return None
    return ScoreChange(
        lead=lead,
        old_score=old[0],
        new_score=result.total,
        old_temperature=old[1],
        new_temperature=result.temperature,
        reason=reason[:200],
        rules_version=result.rules_version,
    )


def rescore_lead(
    lead,
    *,
    reason: str,
    book: RuleBook | None = None,
    also_save: list[str] | None = None,
    interaction: Interaction | None = None,
) -> Score:
    """Recompute and save a lead's score, keeping a ScoreChange when the number or version moved.

    The caller holds the lead's row lock (select_for_update) inside a transaction, so two
    interactions logged at once are scored one after the other and neither is lost.
    `also_save` names other fields the caller changed on `lead`, saved in the same UPDATE.
    `interaction` is the one interaction the caller has just added to the lead (record_interaction's):
    when the lead's tally was counted under `book`, it is added to the tally and the lead's other
    interactions are not read. Otherwise (no interaction, a NULL tally, other rules) they are all
    read once and counted again. The tally is saved in the same UPDATE as the score.
    """
    book = book or published_rule_book()
    now = timezone.now()
    held, closing = lead.score_tally, lead.closing_tally
    before_close = interaction is not None and lead.closed_at is not None and interaction.occurred_at <= lead.closed_at
    if interaction is not None and counted_under(held, book) and (not before_close or counted_under(closing, book)):
        tally = {"version": book.version, "counts": dict(held["counts"]), "answers": dict(held["answers"])}
        stored = json.loads(json.dumps([interaction.metadata, interaction.answers]))  # as a reread would see them
        add_to_tally(tally, interaction.pk, interaction.kind, interaction.occurred_at, *stored, book=book)
        if before_close:  # logged late, about a moment before the close: what analysis reads changes too
            closing = add_to_closing(closing, interaction, stored, book=book)
    else:
        tally, closing = tallies_of(lead, book)
    lead.score_tally, lead.closing_tally = tally, closing
    result = score(facts_from_tally(lead, tally, now), book)
    change = apply_score(lead, result, reason, now)
    lead.save(
        update_fields=[
            "score",
            "temperature",
            "rules_version",
            "score_computed_at",
            "hot_since",
            "first_hot_at",
            "inquiry_score",
            "score_tally",
            "closing_tally",
            *(also_save or []),
        ]
    )
    if change is not None:
        change.save()
    return result


def explain(lead) -> Score:
    """The breakdown behind a lead's score under the published rules, computed fresh."""
    return score(lead_facts(lead), published_rule_book())


def facts_for(leads: list, now: datetime) -> dict[int, LeadFacts]:
    """Facts of many leads (contact and company loaded) with one query for all their interactions."""
    rows = defaultdict(list)
    interactions = (
        Interaction.objects.filter(lead_id__in=[lead.pk for lead in leads])
        .order_by("occurred_at", "id")
        .values_list("lead_id", *INTERACTION_FIELDS)
    )
    for lead_id, *row in interactions:
        rows[lead_id].append(row)
    return {lead.pk: facts_from_rows(lead, rows[lead.pk], now) for lead in leads}


# The columns a rescore writes, with their PostgreSQL types for the VALUES list ("" for text).
SCORE_COLUMNS = (
    ("score", "smallint"),
    ("temperature", ""),
    ("rules_version", "integer"),
    ("score_computed_at", "timestamptz"),
    ("hot_since", "timestamptz"),
    ("first_hot_at", "timestamptz"),
    ("inquiry_score", "smallint"),
    ("score_tally", "jsonb"),
    ("closing_tally", "jsonb"),
    ("closing_profile", "jsonb"),  # as loaded, unless count_closing_tallies records one
)


def write_scores(leads: list, *, with_activity: bool = False) -> None:
    """Save the score fields of many leads in one statement (and their `last_activity_at`, for
    engagement folded in bulk: tracking.engaged). Each lead's `score_tally` must be the one its
    score was counted from (rescore_locked sees to it): a stale one would be trusted later.

    Django's bulk_update builds a CASE expression per field and row, which costs more than the
    scoring itself (about 2 ms a lead); on PostgreSQL one UPDATE … FROM (VALUES …) does the same.
    """
    if not leads:
        return
    columns = SCORE_COLUMNS + ((("last_activity_at", "timestamptz"),) if with_activity else ())
    names = [name for name, _type in columns]
    table = connection.ops.quote_name(Lead._meta.db_table)
    tallies = {name: Lead._meta.get_field(name) for name in ("score_tally", "closing_tally", "closing_profile")}

    def value(lead, name):  # a tally as JSON text (SQLite) or psycopg's Jsonb; NULL stays NULL
        if name in tallies:
            return tallies[name].get_db_prep_save(getattr(lead, name), connection)
        return getattr(lead, name)

    rows = [(lead.pk, *(value(lead, name) for name in names)) for lead in leads]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            row_sql = "(%s::bigint, " + ", ".join(f"%s::{kind}" if kind else "%s" for _name, kind in columns) + ")"
            per = 60000 // (len(columns) + 1)  # a statement takes at most 65,535 parameters
            for part in (rows[start : start + per] for start in range(0, len(rows), per)):
                cursor.execute(
                    f"UPDATE {table} AS l SET {', '.join(f'{name} = v.{name}' for name in names)} "
                    f"FROM (VALUES {', '.join([row_sql] * len(part))}) AS v(id, {', '.join(names)}) WHERE l.id = v.id",
                    [value for row in part for value in row],
                )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {', '.join(f'{name} = %s' for name in names)} WHERE id = %s",
                [(*row[1:], row[0]) for row in rows],
            )


def rescore_locked(leads: list, *, book: RuleBook, reason: str, now: datetime, with_activity: bool = False) -> None:
    """Score leads the caller holds locked (contacts and companies loaded) from all their
    interactions, counted again in one query, and write back in bulk: the scores, a fresh tally
    each (and `last_activity_at` with `with_activity`), and the ScoreChange of each that moved."""
    tallies = tallies_for(leads, book)
    changes = []
    for lead in leads:
        lead.score_tally, lead.closing_tally = tallies[lead.pk]
        change = apply_score(lead, score(facts_from_tally(lead, lead.score_tally, now), book), reason, now)
        if change is not None:
            changes.append(change)
    write_scores(leads, with_activity=with_activity)
    write_changes(changes)


CHANGE_FIELDS = ("lead_id", "old_score", "new_score", "old_temperature", "new_temperature", "reason", "rules_version")


def write_changes(changes: list[ScoreChange]) -> None:
    """Keep many ScoreChanges in one INSERT (Django's bulk_create spends more compiling a thousand
    rows than the database spends storing them), stamped now, as auto_now_add would: after the
    caller's locks, so a lead's history is in the order its score moved. The time is prepared
    as the ORM writes it (naive UTC text on SQLite), so lookups by it compare alike."""
    rows = [tuple(getattr(change, name) for name in CHANGE_FIELDS) for change in changes]
    at = ScoreChange._meta.get_field("changed_at").get_db_prep_save(timezone.now(), connection)
    bulk.insert(ScoreChange, CHANGE_FIELDS, rows, fixed={"changed_at": at})


def locked(lead_ids: list[int]) -> list[Lead]:
    """The leads with their contacts and companies, row-locked in id order (so two bulk rescores
    never wait on each other in a circle), for the caller's transaction. The lock is FOR NO KEY
    UPDATE, as the UPDATE it prepares takes: the engagement fold inserts interactions of many
    leads without locking them, and the foreign-key checks of its commit take KEY SHARE on those
    leads in no set order; FOR UPDATE would wait for them, and they for it (a deadlock)."""
    return list(
        Lead.objects.filter(pk__in=lead_ids)
        .select_related("contact__company")
        .select_for_update(of=("self",), no_key=True)
        .order_by("pk")
    )


def count_closing_tallies(*, chunk: int = 2000, behind: bool = False) -> int:
    """Give every closed lead without a closing tally one, a chunk a transaction: a recount of its
    interactions under the published rules (rescore_locked), its stage left as it is; and one
    without a recorded closing profile its profile now (the nearest to the close there is). For a
    book whose leads closed before these were kept (`manage.py count_closing_tallies`); until then
    score analysis reads those leads' interactions and contacts. Leads scored under older rules are
    left to the publish's rescore job, which settles their stages too (a recount here would put
    them on the new version unsettled, and the job would pass them by); `behind` takes them as
    well, for a book no job will visit (the bench's generated one). Returns how many it counted."""
    book, done, after = published_rule_book(), 0, 0
    unkept = Lead.objects.filter(Q(closing_tally__isnull=True) | Q(closing_profile__isnull=True))
    unkept = unkept.filter(stage__in=OUTCOME_STAGES, closed_at__isnull=False)
    if not behind:
        unkept = unkept.filter(rules_version=book.version)
    while ids := list(unkept.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:chunk]):
        with transaction.atomic():
            leads = locked(ids)
            for lead in leads:
                lead.closing_profile = lead.closing_profile or profile_of(lead)
            rescore_locked(leads, book=book, reason="Closing tally counted", now=timezone.now())  # writes both
        done, after = done + len(leads), ids[-1]
    return done


def rescore_many(
    lead_ids: list[int],
    *,
    book: RuleBook,
    reason: str,
    only_behind: bool = False,
    by=None,
    rules_changed: bool = True,
) -> int:
    """Rescore a batch of leads in one transaction: lock them, load all their facts in two
    queries, compute, and write back in bulk (rescore_locked: fresh tallies too). Every lead
    ends on the book's version or, if anything fails, stays on its old one. With `only_behind`,
    leads already on the book's version once locked are left alone, so two tasks on the same
    slice never count a lead twice. Returns how many leads were rescored."""
    now = timezone.now()
    with transaction.atomic():
        leads = locked(lead_ids)
        if only_behind:
            leads = [lead for lead in leads if lead.rules_version != book.version]
        rescore_locked(leads, book=book, reason=reason, now=now)
        settle_after_rescore(leads, book=book, why=reason, by=by, rules_changed=rules_changed)
    return len(leads)
