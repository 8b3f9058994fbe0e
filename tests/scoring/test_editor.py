"""The scoring page's structured editor, without requests (scoring/editor.py)."""

import copy
import json

from scoring.defaults import DEFAULT_DEFINITION
from scoring.editor import (
    definition_from_json,
    definition_from_numbers,
    editor_sections,
    get_path,
    input_labels,
    number_inputs,
    set_path,
)


def definition():
    return copy.deepcopy(DEFAULT_DEFINITION)


def test_every_tunable_number_has_an_input_named_by_its_path():
    names = number_inputs(definition())
    assert names[:2] == ["rules[0].points", "rules[0].cap"]
    assert "questions[0].options[0].points" in names and "thresholds.sales_ready" in names
    assert all(get_path(definition(), name) is not None or name.endswith(".cap") for name in names)


def test_a_path_reads_and_writes_the_same_place():
    rules = definition()
    set_path(rules, "thresholds.hot", 75)
    set_path(rules, "rules[1].points", 7)
    assert (rules["thresholds"]["hot"], rules["rules"][1]["points"]) == (75, 7)
    assert get_path(rules, "rules[1].points") == 7


def test_posted_numbers_replace_only_what_was_posted_and_keep_bad_text_for_the_validator():
    original = definition()
    changed = definition_from_numbers(
        {"rules[0].points": " 60 ", "rules[0].cap": "", "thresholds.warm": "lots"}, original
    )
    assert changed["rules"][0]["points"] == 60 and changed["rules"][0]["cap"] is None
    assert changed["thresholds"]["warm"] == "lots"  # validate_definition reports it beside its field
    assert original == DEFAULT_DEFINITION  # the definition given is not changed


def test_json_errors_come_back_keyed_for_the_page_and_a_good_definition_comes_back_whole():
    assert definition_from_json("{not json")[1]["json"][0].startswith("Not valid JSON")
    _, errors = definition_from_json('{"rules": "nope", "thresholds": {}}')
    assert any(line.startswith("rules: ") for line in errors["json"])
    parsed, errors = definition_from_json(json.dumps(DEFAULT_DEFINITION))
    assert errors == {} and parsed == DEFAULT_DEFINITION


def test_the_sections_show_each_number_with_its_errors_and_label():
    sections = editor_sections(definition(), {"rules[0].points": ["Must be a whole number."]})
    first = sections[0]["rows"][0]["inputs"][0]
    assert (first["name"], first["value"], first["errors"]) == ("rules[0].points", 50, ["Must be a whole number."])
    labels = input_labels(sections)
    assert labels["rules[0].points"] == f"{DEFAULT_DEFINITION['rules'][0]['label']} points"
    assert [section["title"] for section in sections][-1] == "Temperature and sales-ready"
