"""The scoring engine: a pure function from a lead's facts and a rule book to a score.

No database access happens here (ADR 0001): `scoring.services` loads the facts, calls `score()`
and saves the result. That keeps the engine fast enough to rescore every lead after a publish,
trivial to test, and the one place that decides what a number means.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

HOT, WARM, COLD = "hot", "warm", "cold"
MAX_SCORE = 100
POINTS_LIMIT = 100  # no single rule may be worth more than the whole scale, either way


class RuleBookError(ValueError):
    """A rule definition that cannot be used, with every reason found."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))


@dataclass(frozen=True)
class BehaviourRule:
    """Points for each interaction of one kind, up to a cap (e.g. email open +2, at most 10)."""

    key: str
    label: str
    kind: str
    points: int
    cap: int | None = None
    when: tuple[tuple[str, object], ...] = ()  # metadata conditions, e.g. (("return_visit", True),)

    def matches(self, interaction: InteractionFact) -> bool:
        if interaction.kind != self.kind:
            return False
        return all(interaction.metadata.get(name) == value for name, value in self.when)


@dataclass(frozen=True)
class AnswerOption:
    key: str
    label: str
    points: int


@dataclass(frozen=True)
class Question:
    """A scripted question a CSR asks; the caller's latest answer adds or takes away points."""

    key: str
    text: str
    options: tuple[AnswerOption, ...]

    def option(self, key: str) -> AnswerOption | None:
        return next((option for option in self.options if option.key == key), None)


@dataclass(frozen=True)
class ProfileRule:
    """Fit with the ideal customer profile: points when a profile field is one of `values`.

    `match` is "exact" (case-insensitive equality) or "contains" (for titles: "Owner" matches
    "Owner and president").
    """

    key: str
    label: str
    field: str
    values: tuple[str, ...]
    points: int
    match: str = "exact"

    def matches(self, profile: dict[str, str]) -> bool:
        value = (profile.get(self.field) or "").strip().lower()
        if not value:
            return False
        wanted = [v.lower() for v in self.values]
        if self.match == "contains":
            return any(w in value for w in wanted)
        return value in wanted


@dataclass(frozen=True)
class DecayRule:
    """Points fade when a lead goes quiet: `points_per_week` lost for each full week of silence
    beyond `after_days`, never more than `max_points` in all."""

    after_days: int
    points_per_week: int
    max_points: int
    label: str = "Gone quiet"

    def points(self, last_activity_at: datetime | None, now: datetime) -> tuple[int, int]:
        """(negative points, whole weeks counted) for the quiet time of a lead."""
        if last_activity_at is None or self.points_per_week <= 0:
            return 0, 0
        weeks = ((now - last_activity_at).days - self.after_days) // 7
        if weeks <= 0:
            return 0, 0
        return -min(weeks * self.points_per_week, self.max_points), weeks


@dataclass(frozen=True)
class Thresholds:
    hot: int = 70
    warm: int = 40
    sales_ready: int = 60

    def temperature(self, score: int) -> str:
        if score >= self.hot:
            return HOT
        if score >= self.warm:
            return WARM
        return COLD


@dataclass(frozen=True)
class RuleBook:
    version: int
    behaviour: tuple[BehaviourRule, ...]
    questions: tuple[Question, ...]
    profile: tuple[ProfileRule, ...]
    decay: DecayRule | None
    thresholds: Thresholds

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


@dataclass(frozen=True)
class InteractionFact:
    kind: str
    occurred_at: datetime
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LeadFacts:
    """Everything the score depends on. `answers` maps question key to the latest option key.

    The behaviour lines need only how many interactions matched each rule: a caller that keeps
    them as interactions come (leads.scores' tally) gives `counts` (rule key → number, from
    `rule_counts`) with the version of the book they were counted under, and no interactions."""

    stage: str
    interactions: tuple[InteractionFact, ...]
    answers: dict[str, str]
    profile: dict[str, str]
    last_activity_at: datetime | None
    now: datetime
    counts: dict[str, int] | None = None
    counts_version: int | None = None


@dataclass(frozen=True)
class Line:
    rule: str
    label: str
    points: int

    def as_dict(self) -> dict:
        return {"rule": self.rule, "label": self.label, "points": self.points}


@dataclass(frozen=True)
class Score:
    total: int
    temperature: str
    breakdown: tuple[Line, ...]
    rules_version: int


def score(facts: LeadFacts, book: RuleBook) -> Score:
    """The score of one lead: the sum of its rule lines, clamped to 0–100; won 100, dead 0."""
    lines = [
        *_behaviour_lines(facts, book),
        *_answer_lines(facts, book),
        *_profile_lines(facts, book),
        *_decay_lines(facts, book),
    ]
    if facts.stage == "won" or facts.stage == "customer":
        total = MAX_SCORE
        lines.append(Line("stage.won", "Sale closed: the score is pinned at 100", 0))
    elif facts.stage == "dead":
        total = 0
        lines.append(Line("stage.dead", "Dead lead: the score is pinned at 0", 0))
    else:
        total = max(0, min(MAX_SCORE, sum(line.points for line in lines)))
    return Score(total, book.thresholds.temperature(total), tuple(lines), book.version)


def rule_counts(interactions: Iterable[InteractionFact], book: RuleBook) -> Counter[str]:
    """How many of `interactions` each behaviour rule of the book matches (rule key → number;
    an interaction of a kind with two rules, e.g. a web visit that is a return visit, counts for
    both). Counts of two sets of interactions add up: what a tally kept as they come relies on."""
    counts: Counter[str] = Counter()
    for interaction in interactions:
        for rule in book.behaviour:
            if rule.matches(interaction):
                counts[rule.key] += 1
    return counts


def _behaviour_lines(facts: LeadFacts, book: RuleBook) -> list[Line]:
    if facts.counts is None:
        counts = rule_counts(facts.interactions, book)
    elif facts.counts_version != book.version:
        raise ValueError(f"Counts made under rules version {facts.counts_version} cannot score version {book.version}.")
    else:
        counts = facts.counts
    lines = []
    for rule in book.behaviour:
        count = counts.get(rule.key)
        if not count:
            continue
        points = count * rule.points
        label = rule.label if count == 1 else f"{rule.label} ×{count}"
        if rule.cap is not None and abs(points) > rule.cap:
            points = rule.cap if points > 0 else -rule.cap
            label += f" (capped at {rule.cap})"
        lines.append(Line(f"behaviour.{rule.key}", label, points))
    return lines


def _answer_lines(facts: LeadFacts, book: RuleBook) -> list[Line]:
    lines = []
    for question in book.questions:
        option = question.option(facts.answers.get(question.key, ""))
        if option is not None:
            lines.append(Line(f"answer.{question.key}", f"{question.text} {option.label}", option.points))
    return lines


def _profile_lines(facts: LeadFacts, book: RuleBook) -> list[Line]:
    return [
        Line(f"profile.{rule.key}", rule.label, rule.points) for rule in book.profile if rule.matches(facts.profile)
    ]


def _decay_lines(facts: LeadFacts, book: RuleBook) -> list[Line]:
    if book.decay is None:
        return []
    points, weeks = book.decay.points(facts.last_activity_at, facts.now)
    if not points:
        return []
    label = f"{book.decay.label}: {weeks} full week(s) without activity after {book.decay.after_days} days"
    return [Line("decay", label, points)]
