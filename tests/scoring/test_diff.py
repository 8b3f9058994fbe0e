"""The readable diff of two rule sets: what was added, removed and changed, matched by key."""

import copy

from scoring.defaults import DEFAULT_DEFINITION
from scoring.diff import change_lines, diff_definitions


def edited(**changes):
    definition = copy.deepcopy(DEFAULT_DEFINITION)
    for name, change in changes.items():
        change(definition[name])
    return definition


def test_the_same_rules_have_no_diff():
    assert diff_definitions(DEFAULT_DEFINITION, copy.deepcopy(DEFAULT_DEFINITION)) == []


def test_a_changed_rule_reads_field_by_field():
    new = edited(rules=lambda rules: rules[0].update(points=75, cap=None))
    [section] = diff_definitions(DEFAULT_DEFINITION, new)
    assert section["key"] == "rules" and not section["added"] and not section["removed"]
    [changed] = section["changed"]
    assert changed["label"] == "Called us with an inquiry"
    assert [c["text"] for c in changed["changes"]] == ["points +50 → +75", "cap 50 → no cap"]


def test_added_and_removed_rules_and_answers_are_named():
    def rules(items):
        items.remove(next(rule for rule in items if rule["key"] == "return_visit"))
        items.append({"key": "demo", "label": "Booked a demo", "kind": "meeting", "points": 20, "cap": 20})

    def questions(items):
        items[0]["options"].pop()  # just_looking
        items[1]["options"][0]["points"] = 15
        items.pop()  # system_age

    lines = change_lines(diff_definitions(DEFAULT_DEFINITION, edited(rules=rules, questions=questions)))
    assert "Added: Booked a demo" in lines and "Removed: Came back to the website" in lines
    assert "Removed: How old is the current system?" in lines
    assert "When are you planning to buy?: answer removed: Just looking (-10)" in lines
    assert "Are you the one who makes the decision?: answer “Yes” points +10 → +15" in lines


def test_thresholds_decay_and_profile_read_in_words():
    new = edited(
        thresholds=lambda t: t.update(sales_ready=55),
        decay=lambda d: d.update(after_days=21),
        profile=lambda p: p[1].update(values=["10-49"]),
    )
    lines = change_lines(diff_definitions(DEFAULT_DEFINITION, new))
    assert lines == [
        "Company size of our best customers: values 10-49, 50-249 → 10-49",
        "Gone quiet: after days 14 → 21",
        "Thresholds: Sales-ready from 60 → 55",
    ]


def test_decay_switched_off_reads_as_removed():
    new = copy.deepcopy(DEFAULT_DEFINITION) | {"decay": None}
    [section] = diff_definitions(DEFAULT_DEFINITION, new)
    assert section["removed"][0]["summary"] == "after 14 quiet days, 5 a week, at most 30"
