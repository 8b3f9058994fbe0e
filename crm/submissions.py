"""Forms submitted twice do their work once.

Every form that does work carries a one-time token (`{% submission_token %}`). The first
submission records the token in the same transaction as its work; a second one with the same
token (a double click, a re-post on reload, a retry on a slow line) waits for the first to
commit, finds its row and answers with what the first one made. Work that fails (a field
error) rolls its row back with it, so the corrected form can be sent again.
"""

import secrets
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import Submission

FIELD = "submission"
KEEP = timedelta(days=1)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def submit_once(request, work: Callable[[], int | None]) -> tuple[int | None, bool]:
    """Run `work` (which returns the id of what it made) unless this form was already submitted.

    Returns (id, True) for the first submission and (the first one's id, False) for a repeat.
    A form without a token (an old page, a script) simply runs."""
    token = (request.POST.get(FIELD) or "")[:64]
    if not token:
        return work(), True
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = Submission.objects.create(user=request.user, token=token)
        except IntegrityError:
            first = Submission.objects.get(user=request.user, token=token)
            return first.result_id, False
        record.result_id = work()
        record.save(update_fields=["result_id"])
    return record.result_id, True


def purge_old_submissions(now=None) -> int:
    cutoff = (now or timezone.now()) - KEEP
    return Submission.objects.filter(created_at__lt=cutoff).delete()[0]
