"""The seam through which the scoring page previews a draft against the leads we have.

Scoring sits below leads (leads score themselves with the engine and the rule books here), so it
cannot read leads. The leads app lends its preview when it starts (`leads.apps.LeadsConfig.ready`
calls `lend`), the way a plug-in would; the scoring page and API then call `against_leads`.
"""

from __future__ import annotations

from collections.abc import Callable

from scoring.engine import RuleBook

PreviewFunction = Callable[..., dict]
_lent: PreviewFunction | None = None


def lend(function: PreviewFunction) -> None:
    """Called once by the leads app: `function(before, after, limit=…) -> dict`."""
    global _lent
    _lent = function


def against_leads(before: RuleBook, after: RuleBook, *, limit: int) -> dict:
    """How the leads would move from the `before` rules to the `after` rules (see
    leads.rescore.preview_rules for what the answer holds)."""
    if _lent is None:
        raise RuntimeError("No preview was lent: the leads app is not installed or not ready.")
    return _lent(before, after, limit=limit)
