"""What the lead list's ticked rows may be given to besides a manager's hand-over, lent by the
apps above leads (which leads cannot import): nurture's "Add to sequence" (its AppConfig.ready
calls `lend`), the way leads.codes is lent the letters' response codes.

An action is a callable `(user) -> dict | None`: the context of its control, with `template` (a
partial the list includes inside its bulk form) and `url` (where its button posts the ticked
`lead` ids and the list's `list_query`), or None when that user may not use it."""

from __future__ import annotations

from collections.abc import Callable

Action = Callable[[object], dict | None]
_actions: list[Action] = []


def lend(action: Action) -> None:
    if action not in _actions:
        _actions.append(action)


def for_user(user) -> list[dict]:
    """The controls the list shows `user`, in the order the apps lent them."""
    return [control for action in _actions if (control := action(user)) is not None]
