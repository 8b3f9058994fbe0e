"""A follow-up script's questions: checking what marketing writes, and the answers given."""

import re

from django.core.exceptions import ValidationError

KINDS = ("yes_no", "text")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
YES_NO = ("yes", "no")


def validate_questions(questions) -> list[dict]:
    """[{"key", "text", "kind"}]: keys unique, lower-case words; every problem at once."""
    if not isinstance(questions, list) or not questions:
        raise ValidationError({"questions": ["Give at least one question."]})
    if len(questions) > 20:
        raise ValidationError({"questions": ["Keep a script to at most 20 questions."]})
    clean, errors, seen = [], {}, set()
    for i, question in enumerate(questions):
        where = f"questions[{i}]"
        if not isinstance(question, dict):
            errors[where] = ['Each question is {"key", "text", "kind"}.']
            continue
        key, text, kind = question.get("key"), question.get("text"), question.get("kind", "text")
        if not isinstance(key, str) or not KEY.match(key):
            errors[f"{where}.key"] = ["A key is a short lower-case word (letters, digits, _), e.g. needs_met."]
        elif key in seen:
            errors[f"{where}.key"] = [f"The key {key} is used twice."]
        if not isinstance(text, str) or not text.strip() or len(text) > 500:
            errors[f"{where}.text"] = ["Write the question (at most 500 characters)."]
        if kind not in KINDS:
            errors[f"{where}.kind"] = ["A question is yes_no or text."]
        if key == "needs_met" and kind != "yes_no":
            errors[f"{where}.kind"] = ["needs_met is a yes_no question: a no raises a follow-up for a manager."]
        seen.add(key)
        clean.append({"key": key, "text": (text or "").strip(), "kind": kind})
    if errors:
        raise ValidationError(errors)
    return clean


def validate_answers(answers, script: list[dict]) -> dict[str, str]:
    """{key: answer} for the script's questions: yes/no for yes_no, text (at most 2,000
    characters) otherwise; unanswered questions are simply left out."""
    if answers in (None, ""):
        return {}
    if not isinstance(answers, dict):
        raise ValidationError({"answers": ['Give the answers as {"question key": "answer"}.']})
    kinds = {question["key"]: question.get("kind", "text") for question in script}
    clean, errors = {}, {}
    for key, value in answers.items():
        if key not in kinds:
            errors[f"answers.{key}"] = [f"The script has no question {key!r}: one of {', '.join(kinds) or 'none'}."]
            continue
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value) > 2000:
            errors[f"answers.{key}"] = ["Give the answer as text (at most 2,000 characters)."]
        elif kinds[key] == "yes_no" and value.strip().lower() not in YES_NO:
            errors[f"answers.{key}"] = ["Answer yes or no."]
        else:
            clean[key] = value.strip().lower() if kinds[key] == "yes_no" else value.strip()
    if errors:
        raise ValidationError(errors)
    return clean
