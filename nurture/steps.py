"""A sequence's steps as marketing writes them, checked before anything can run them.

Steps come in as a list of dicts (the API's JSON, the builder page's rows) and are stored as a
list of dicts, each with a lasting `key` (s1, s2 …): a step that keeps its key through an edit
keeps what was done with it, so an edit never sends a done step again. Branch targets are step
numbers (1 = the first step) or "next" / "end" where people write them, and keys where they are
stored. Every problem is said at once, step by step ("Step 3: …"), and nothing is saved until
there are none:

- no steps, an unknown kind;
- an e-mail without a subject or text, with an unknown merge field or stray braces, with offer
  fields and no offer (the letters' merge fields, plus {{ referral_link }}: the forward form);
- a letter step without an active letter template;
- a call without a note (what to say), or for someone other than the owner or the CSR pool;
- a wait of zero or negative days, of more than a year, or a window with no weekday or no hour;
- a branch on anything but the conditions below, a score outside 0–100, an unknown stage, a target
  that is not a step, or one that jumps back (a loop), or "opened"/"clicked" asked the moment an
  e-mail goes (nobody has had time to open it: put a wait between them).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from campaigns.models import Offer
from config.ids import parse_id, parse_int
from followups.letters import emails
from followups.models import LetterTemplate
from leads.kinds import Stage

KINDS = ("email", "letter", "call", "wait", "branch")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CONDITIONS = {
    "opened": "opened an e-mail (a click counts as an open)",
    "clicked": "clicked a link in an e-mail",
    "scanned": "scanned a letter's QR code",
    "visited": "visited the website",
    "score_at_least": "has a score at or above the value",
    "stage": "is at the stage given as the value",
}
ENGAGEMENT_CONDITIONS = ("opened", "clicked", "scanned", "visited")
REFERRAL_FIELD = "referral_link"
MAX_STEPS = 50
MAX_WAIT_DAYS = 365
CALLERS = ("owner", "csr")


def _number(value) -> int | None:
    return parse_int(value)


def without_referral_field(text: str) -> str:
    """The text with {{ referral_link }} taken out, to check the rest as the letters' fields."""
    from followups.letters import merge

    return merge.FIELD.sub(lambda field: "" if field.group(1) == REFERRAL_FIELD else field.group(0), text or "")


def _email(step: dict, problems: list[str]) -> dict:
    offer_id = step.get("offer")
    offer = None
    if offer_id not in (None, ""):
        pk = parse_id(offer_id)
        offer = Offer.objects.filter(pk=pk).first() if pk else None
        if offer is None:
            problems.append(f"no offer has the id {offer_id!r}")
    subject, text = str(step.get("subject") or ""), str(step.get("text") or "")
    try:
        emails.check(subject=subject, text=without_referral_field(text), has_offer=offer is not None or bool(offer_id))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            problems.extend(f"{field}: {message}" for message in messages)
    return {"subject": subject.strip(), "text": text.strip(), "offer": offer.pk if offer else None}


def _letter(step: dict, problems: list[str]) -> dict:
    pk = parse_id(step.get("template"))
    template = LetterTemplate.objects.filter(pk=pk, active=True).first() if pk else None
    if template is None:
        problems.append(f"no active letter template has the id {step.get('template')!r}")
        return {"template": None}
    return {"template": template.pk}


def _call(step: dict, problems: list[str]) -> dict:
    note = str(step.get("note") or "").strip()
    to = step.get("to") or "owner"
    if not note:
        problems.append("say what the call is about (note): it is the caller's script")
    elif len(note) > 2000:
        problems.append("keep the call's note under 2,000 characters")
    if to not in CALLERS:
        problems.append(f"a call goes to the lead's owner or the CSR pool (to: {' or '.join(CALLERS)}), not {to!r}")
    return {"note": note, "to": to}


def _wait(step: dict, problems: list[str]) -> dict:
    clean: dict = {}
    days = step.get("days")
    if days not in (None, ""):
        number = _number(days)
        if number is None:
            problems.append(f"wait days must be a whole number, not {days!r}")
        elif number < 1:
            problems.append(f"a wait of {number} days: wait at least 1 day, or take the step out")
        elif number > MAX_WAIT_DAYS:
            problems.append(f"a wait of {number} days: wait at most {MAX_WAIT_DAYS} days")
        else:
            clean["days"] = number
    weekdays = step.get("weekdays")
    window = weekdays not in (None, "", []) or step.get("from_hour") not in (None, "")
    if window:
        names = weekdays if isinstance(weekdays, list) else []
        unknown = [day for day in names if day not in WEEKDAYS]
        if not names or unknown:
            problems.append(f"a window needs its weekdays, from {', '.join(WEEKDAYS)}")
        start, end = _number(step.get("from_hour")), _number(step.get("to_hour"))
        if start is None or end is None or not 0 <= start < end <= 24:
            problems.append("a window needs its hours: from_hour before to_hour, 0 to 24, in the company's time zone")
        clean |= {"weekdays": [day for day in WEEKDAYS if day in names], "from_hour": start, "to_hour": end}
    if "days" not in clean and not window and not problems:
        problems.append("a wait needs its days, a weekday and hour window, or both")
    return clean


def _branch(step: dict, problems: list[str]) -> dict:
    condition = step.get("if")
    clean = {"if": condition, "then": step.get("then", "next"), "else": step.get("else", "end")}
    if condition not in CONDITIONS:
        problems.append(f"a branch cannot ask {condition!r}: use one of {', '.join(CONDITIONS)}")
    elif condition == "score_at_least":
        value = _number(step.get("value"))
        if value is None or not 0 <= value <= 100:
            problems.append("score_at_least needs a value from 0 to 100")
        clean["value"] = value
    elif condition == "stage":
        if step.get("value") not in Stage.values:
            problems.append(f"stage needs one of {', '.join(Stage.values)} as its value, not {step.get('value')!r}")
        clean["value"] = step.get("value")
    return clean


CHECKS = {"email": _email, "letter": _letter, "call": _call, "wait": _wait, "branch": _branch}


def _target(value, position: int, count: int, problems: list[str], label: str):
    """A branch target as a 0-based position, "next" or "end"."""
    if value in ("next", "end", None, ""):
        return value or "next"
    number = _number(value)
    if number is None or not 1 <= number <= count:
        problems.append(f"{label} goes to step {value!r}, which is not a step (1 to {count}, next or end)")
        return "next"
    if number <= position + 1:
        problems.append(f"{label} goes back to step {number}: that would loop; a branch only jumps forward")
        return "next"
    return number - 1


def clean_steps(steps, *, existing: list[dict] | None = None, next_key: int = 1) -> tuple[list[dict], int]:
    """The steps checked and given their keys: (stored steps, the next key number). A step that
    comes with the key of an existing step keeps it; the others get new keys. Raises
    ValidationError({"steps": ["Step 2: …", …]}) with every problem."""
    if not isinstance(steps, list) or not steps:
        raise ValidationError({"steps": ["A sequence needs at least one step."]})
    if len(steps) > MAX_STEPS:
        raise ValidationError({"steps": [f"A sequence has at most {MAX_STEPS} steps."]})
    known = {step["key"] for step in existing or []}
    errors: list[str] = []
    cleaned: list[dict] = []
    seen_keys: set[str] = set()
    for position, step in enumerate(steps):
        problems: list[str] = []
        if not isinstance(step, dict) or step.get("kind") not in KINDS:
            kind = step.get("kind") if isinstance(step, dict) else step
            errors.append(f"Step {position + 1}: {kind!r} is not a step: use one of {', '.join(KINDS)}.")
            cleaned.append({"kind": None})
            continue
        clean = {"kind": step["kind"], **CHECKS[step["kind"]](step, problems)}
        if step["kind"] == "branch":
            clean["then"] = _target(clean["then"], position, len(steps), problems, "then")
            clean["else"] = _target(clean["else"], position, len(steps), problems, "else")
        key = step.get("key")
        if key in known and key not in seen_keys:
            clean["key"] = key
        else:
            clean["key"], next_key = f"s{next_key}", next_key + 1
        seen_keys.add(clean["key"])
        errors.extend(f"Step {position + 1}: {problem}." for problem in problems)
        cleaned.append(clean)
    errors += _order_problems(cleaned)
    if errors:
        raise ValidationError({"steps": errors})
    for step in cleaned:  # targets stored as keys, which outlive positions
        if step["kind"] == "branch":
            for side in ("then", "else"):
                if isinstance(step[side], int):
                    step[side] = cleaned[step[side]]["key"]
    return cleaned, next_key


def _order_problems(steps: list[dict]) -> list[str]:
    """A branch on an e-mail's open or click needs an e-mail before it and time between them."""
    problems = []
    for position, step in enumerate(steps):
        if step.get("kind") != "branch" or step.get("if") not in ("opened", "clicked"):
            continue
        before = [s.get("kind") for s in steps[:position]]
        if "email" not in before:
            problems.append(
                f"Step {position + 1}: it asks whether an e-mail was {step['if']}, but no e-mail comes before it."
            )
        elif before[-1] == "email":
            problems.append(
                f"Step {position + 1}: it asks whether the e-mail of step {position} was {step['if']} the moment "
                "it is sent: put a wait between them."
            )
    return problems


def for_people(steps: list[dict]) -> list[dict]:
    """Stored steps as people write them: branch targets as step numbers (1 = first)."""
    positions = {step["key"]: number for number, step in enumerate(steps, start=1)}
    shown = []
    for step in steps:
        step = dict(step)
        if step["kind"] == "branch":
            for side in ("then", "else"):
                step[side] = positions.get(step[side], step[side])
        shown.append(step)
    return shown


def describe(step: dict) -> str:
    """One line about a step, for the pages and the timeline."""
    kind = step["kind"]
    if kind == "email":
        return f"E-mail “{step['subject']}”"
    if kind == "letter":
        name = LetterTemplate.objects.filter(pk=step["template"]).values_list("name", flat=True).first()
        return f"Printed letter “{name or 'a template since deleted'}”"
    if kind == "call":
        return f"Call by the {'owner' if step.get('to') == 'owner' else 'CSR pool'}: {step['note'][:60]}"
    if kind == "wait":
        parts = [f"{step['days']} day{'s' if step['days'] != 1 else ''}"] if step.get("days") else []
        if step.get("weekdays"):
            days = ", ".join(day.title() for day in step["weekdays"])
            parts.append(f"then {days} {step['from_hour']:02d}:00–{step['to_hour']:02d}:00")
        return "Wait " + " ".join(parts)
    value = f" {step['value']}" if step.get("value") is not None else ""
    return f"If {step['if'].replace('_', ' ')}{value}"
