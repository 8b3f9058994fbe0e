"""Consistency between the people who measure: does one CSR's "yes, approved" mean what
everyone else's does?

One query counts the scripted answers recorded on the period's outcome leads by question,
author, the lead's source and answer (reports.analysis.answers). For each question of the
published rules and each person who answered it, two things are compared with the rest of the
team, and a person is flagged only when one differs beyond chance (p < 0.01) on enough leads:

- How often they give each answer, against what the rest of the team answers on comparable
  leads: their answers from each source, spread as the others' answers from that source are
  (so a CSR who takes the referrals is not flagged for the referrals' better answers). A
  goodness-of-fit test (χ²) on at least MIN_ANSWERS comparable answers.
- How often the leads behind each of their answers close, against the leads behind everyone
  else's same answer: a two-proportion test with at least MIN_LEADS leads on each side.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model

from reports import stats
from reports.analysis import answers
from reports.analysis.outcomes import outcomes, rate, rounded, too_few
from reports.periods import Period
from reports.router import reading_reports
from scoring.services import published_rule_book

FLAG_P = 0.01  # beyond chance: one person in a hundred with nothing wrong would be flagged
MIN_ANSWERS = 20  # comparable answers before a person's spread of answers is tested
MIN_LEADS = 10  # leads behind an answer, theirs and the rest's, before its close rate is compared

DEFINITIONS = {
    "outcomes": "Leads whose outcome (won, unclosed, dead) fell in the period.",
    "answers": "Scripted answers the person recorded on those leads up to their close (every answer counts, "
    "a question asked twice counts twice). Answers recorded without a person (a web form) are left out.",
    "distribution": "The share of their answers that were each option.",
    "expected": "The share the rest of the team gives each option on comparable leads: for each source, the "
    "person's answers from that source spread as the others' answers from that source are.",
    "close_rate": "Won ÷ leads behind the person's answer (won means won or a customer since). The rest of "
    "the team's leads behind the same answer are counted per colleague: a lead two of them asked counts for each.",
    "flagged": f"Their spread of answers differs from the expected one beyond chance (χ² test, p < {FLAG_P}, "
    f"at least {MIN_ANSWERS} comparable answers), or the leads behind one of their answers close at a "
    f"different rate from the leads behind the rest of the team's same answer (two-proportion test, "
    f"p < {FLAG_P}, at least {MIN_LEADS} leads each side). Below those numbers nobody is flagged: "
    "too few answers cannot tell a habit from luck.",
}


def raters(period: Period) -> dict:
    book = published_rule_book()
    with reading_reports():  # both counts from an index (lead_outcome_idx, lead_untallied_idx)
        total, untallied = outcomes(period).count(), outcomes(period).filter(closing_tally__isnull=True).count()
    rows = answers.by_author(period, untallied=untallied)
    with reading_reports():
        ids = {row.author_id for row in rows}
        names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")) if ids else {}
    by_question = defaultdict(list)
    for row in rows:
        by_question[row.question].append(row)
    questions = [_question(question, by_question.get(question.key, []), names) for question in book.questions]
    return {
        "start": period.start,
        "end": period.end,
        "outcomes": total,
        "questions": questions,
        "warnings": _warnings(total, questions),
        "definitions": DEFINITIONS,
    }


def _question(question, rows: list[answers.AuthorAnswers], names: dict[int, str]) -> dict:
    options = [{"key": option.key, "label": option.label} for option in question.options]
    known = {option.key for option in question.options}
    for answer in sorted({row.answer for row in rows} - known):  # an option since removed from the rules
        options.append({"key": answer, "label": answer})
    labels = {option["key"]: option["label"] for option in options}
    keys = list(labels)

    # Counts: [author][source][answer] answers; [author][answer] leads and won leads.
    given = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    leads = defaultdict(lambda: defaultdict(int))
    won = defaultdict(lambda: defaultdict(int))
    for row in rows:
        given[row.author_id][row.source][row.answer] += row.answers
        leads[row.author_id][row.answer] += row.leads
        won[row.author_id][row.answer] += row.won
    by_source = defaultdict(lambda: defaultdict(int))  # everyone's answers: [source][answer]
    for sources in given.values():
        for source, counts in sources.items():
            for answer, n in counts.items():
                by_source[source][answer] += n
    team = defaultdict(int)
    for counts in by_source.values():
        for answer, n in counts.items():
            team[answer] += n
    team_total = sum(team.values())

    people = [
        {
            "user": names.get(author, f"user {author}"),
            **_rater(author, given[author], leads, won, by_source, keys, labels),
        }
        for author in sorted(given, key=lambda author: names.get(author, ""))
    ]
    return {
        "question": question.key,
        "text": question.text,
        "options": options,
        "team": {"answers": team_total, "distribution": {key: rate(team[key], team_total) for key in keys}},
        "raters": people,
    }


def _rater(author, mine, leads, won, by_source, keys: list[str], labels: dict[str, str]) -> dict:
    """One person's figures on one question, and why they are flagged ("" when they are not)."""
    answered = {key: sum(counts.get(key, 0) for counts in mine.values()) for key in keys}
    total = sum(answered.values())

    # The comparison on comparable leads: only sources where someone else answered too.
    observed = dict.fromkeys(keys, 0)
    expected = dict.fromkeys(keys, 0.0)
    for source, counts in mine.items():
        theirs = {key: by_source[source].get(key, 0) - counts.get(key, 0) for key in keys}
        others = sum(theirs.values())
        if not others:
            continue
        n = sum(counts.values())
        for key in keys:
            observed[key] += counts.get(key, 0)
            expected[key] += n * theirs[key] / others
    comparable = sum(observed.values())
    reasons = []
    distribution_p = None
    if comparable:
        shares = [expected[key] / comparable for key in keys]
        distribution_p = stats.chi_square_p([observed[key] for key in keys], shares)
        if comparable >= MIN_ANSWERS and distribution_p is not None and distribution_p < FLAG_P:
            # Name the answer furthest from what the others give, relative to its expected spread.
            key = max(
                (key for key in keys if expected[key] > 0),
                key=lambda key: abs(observed[key] - expected[key]) / expected[key] ** 0.5,
            )
            reasons.append(
                f"answers '{labels[key]}' on {observed[key] / comparable:.0%} of their {comparable} answers "
                f"where comparable leads get {expected[key] / comparable:.0%} ({_p(distribution_p)})"
            )

    close_rates, close_p = {}, {}
    for key in keys:
        mine_leads, mine_won = leads[author].get(key, 0), won[author].get(key, 0)
        rest_leads = sum(counts.get(key, 0) for other, counts in leads.items() if other != author)
        rest_won = sum(counts.get(key, 0) for other, counts in won.items() if other != author)
        close_rates[key] = rate(mine_won, mine_leads)
        if mine_leads < MIN_LEADS or rest_leads < MIN_LEADS:
            close_p[key] = None
            continue
        p = stats.two_proportions(mine_won, mine_leads, rest_won, rest_leads)
        close_p[key] = rounded(p, 6)
        if p is not None and p < FLAG_P:
            reasons.append(
                f"their '{labels[key]}' leads close {mine_won / mine_leads:.0%} (of {mine_leads}) against "
                f"{rest_won / rest_leads:.0%} (of {rest_leads}) for the rest of the team ({_p(p)})"
            )
    return {
        "answers": total,
        "comparable": comparable,
        "distribution": {key: rate(answered[key], total) for key in keys},
        "expected": {key: rate(expected[key], comparable) for key in keys} if comparable else dict.fromkeys(keys),
        "distribution_p": rounded(distribution_p, 6),
        "leads": {key: leads[author].get(key, 0) for key in keys},
        "close_rate": close_rates,
        "close_rate_p": close_p,
        "flagged": bool(reasons),
        "why": _sentence(reasons),
    }


def _p(p: float) -> str:
    return f"p = {p:.3f}" if p >= 0.001 else "p < 0.001"


def _sentence(reasons: list[str]) -> str:
    """The reasons as one sentence for a manager: "Answers 'Yes, approved' on …; their … ."""
    if not reasons:
        return ""
    text = "; ".join(reasons)
    return f"{text[0].upper()}{text[1:]}."


def _warnings(total: int, questions: list[dict]) -> list[str]:
    said = [too_few(total)] if too_few(total) else []
    if total and not any(question["raters"] for question in questions):
        said.append("Nobody recorded a scripted answer on these leads before their close: there is nothing to compare.")
    untested = sorted(
        {
            rater["user"]
            for question in questions
            for rater in question["raters"]
            if rater["comparable"] < MIN_ANSWERS and all(n < MIN_LEADS for n in rater["leads"].values())
        }
    )
    if untested:
        said.append(
            f"Too few answers to test {', '.join(untested)} on some questions (fewer than {MIN_ANSWERS} comparable "
            f"answers and fewer than {MIN_LEADS} leads behind any answer): they are shown, never flagged there."
        )
    return said
