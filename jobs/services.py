"""Running background jobs: start, work a slice chunk by chunk, recover, fail.

Every chunk commits together with its slice's cursor, the job's progress and both heartbeats,
so a worker killed half way leaves work either done and counted or not done at all, and the
next task carries on at the cursor. A slice is worked by one task chain at a time (its lease);
a slice whose heartbeat has gone quiet for CRM_JOB_STALL_SECONDS is sent again by the sweep,
which beat runs every few seconds and every worker runs when it starts, so a killed job resumes
within seconds of a worker being available.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from jobs.kinds import JobObsolete, kind_for
from jobs.models import Job, JobSlice, JobStatus

logger = logging.getLogger(__name__)

MAX_JOB_FAILURES = 5
MAX_TAKEOVERS = 5  # a slice whose workers keep dying (out of memory, say) fails instead of looping


class LeaseLost(Exception):
    """Another task took this slice over (ours looked stalled): stop, its work stands."""


def stall_after() -> timedelta:
    return timedelta(seconds=settings.CRM_JOB_STALL_SECONDS)


# --- Starting -----------------------------------------------------------------------------------


def start_job(
    *,
    kind: str,
    params: dict,
    total: int | None = None,
    id_range: tuple[int, int] | None = None,
    slices: int = 1,
    by=None,
) -> Job:
    """A new job over the ids in `id_range` (inclusive; None: nothing to walk), cut in `slices`
    ranges worked in parallel. Without `total`, the kind plans itself (`plan(params) -> (total,
    id_range)`): a caller below the app whose rows the job walks need not read them. Its tasks
    are sent once the caller's transaction commits; if the broker is down then, the sweep sends
    them later."""
    if total is None:
        total, id_range = kind_for(kind).plan(params)
    job = Job.objects.create(kind=kind, params=params, total=total, created_by=by)
    if id_range is not None:
        first, last = id_range
        width = max(-(-(last - first + 1) // max(slices, 1)), 1)
        JobSlice.objects.bulk_create(
            [
                JobSlice(job=job, first_id=low, last_id=min(low + width - 1, last), cursor=low - 1)
                for low in range(first, last + 1, width)
            ]
        )
    transaction.on_commit(lambda: send_or_leave_to_sweep(job.pk))
    return job


def send_or_leave_to_sweep(job_id: int) -> None:
    """Send a job's tasks; a broker that is down must not turn the caller's action into an error."""
    try:
        enqueue_job(job_id)
    except Exception as exc:  # any broker failure; the durable rows are the source of truth
        logger.exception("Could not send job %s; the stalled-job sweep will retry", job_id)
        record_send_failure(job_id, exc)


def enqueue_job(job_id: int) -> None:
    """Send one task for each unfinished slice of a job (one to close it when none is left)."""
    from jobs.tasks import bulk_run_job

    slice_ids = list(JobSlice.objects.filter(job_id=job_id, finished_at__isnull=True).values_list("pk", flat=True))
    for slice_id in slice_ids or [None]:
        bulk_run_job.delay(job_id, slice_id)
        if slice_id is not None:
            JobSlice.objects.filter(pk=slice_id).update(sent_at=timezone.now())


# --- Working ------------------------------------------------------------------------------------


def run_job(
    job_id: int, slice_id: int | None = None, *, lease: str = "", max_chunks: int | None = None
) -> tuple[Job, str]:
    """Work one slice of a job (without `slice_id`: every slice in turn, as tests and the
    closing task do), at most `max_chunks` chunks. Returns the job and, when the slice has more
    to do, the lease its next task must carry ("" when there is nothing more for this chain)."""
    job = Job.objects.get(pk=job_id)
    if job.status in (JobStatus.DONE, JobStatus.FAILED):
        return job, ""
    kind = kind_for(job.kind)
    try:
        state = kind.begin(job)
    except JobObsolete as exc:
        _close(job.pk, note=str(exc))
        return Job.objects.get(pk=job.pk), ""
    now = timezone.now()
    Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING)
    Job.objects.filter(pk=job.pk).update(started_at=Coalesce("started_at", Value(now)), heartbeat_at=now)
    slices = job.slices.filter(finished_at__isnull=True)
    if slice_id is not None:
        slices = slices.filter(pk=slice_id)
    for job_slice in slices:
        token = _claim(job_slice, lease)
        if token is None:
            continue  # another task holds it and is alive: this message was a duplicate
        try:
            if not _work_slice(kind, job, job_slice, state, token, max_chunks):
                return Job.objects.get(pk=job.pk), token  # more to do: the task sends itself again
        except LeaseLost:
            return Job.objects.get(pk=job.pk), ""
        except Exception:
            # An error, not a killed worker: free the slice so the retry need not wait for it to go quiet.
            JobSlice.objects.filter(pk=job_slice.pk, lease=token).update(lease="", heartbeat_at=None)
            raise
    _close_if_complete(job.pk, kind, state)
    return Job.objects.get(pk=job.pk), ""


def _claim(job_slice: JobSlice, lease: str) -> str | None:
    """Take the slice's lease if it is free, stale, or ours (the `lease` our chain carries).
    Taking it from a task that went quiet counts a takeover; too many fail the job."""
    now = timezone.now()
    token = uuid.uuid4().hex
    free = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - stall_after())
    if lease:
        free |= Q(lease=lease)
    from_a_dead_task = Case(When(~Q(lease="") & ~Q(lease=lease), then=Value(1)), default=Value(0))
    taken = (
        JobSlice.objects.filter(pk=job_slice.pk, finished_at__isnull=True)
        .filter(free)
        .update(lease=token, heartbeat_at=now, takeovers=F("takeovers") + from_a_dead_task)
    )
    if not taken:
        return None
    takeovers = JobSlice.objects.filter(pk=job_slice.pk).values_list("takeovers", flat=True).first()
    if takeovers > MAX_TAKEOVERS:
        fail_job(
            job_slice.job_id, f"Its worker stopped {takeovers} times on ids {job_slice.first_id}–{job_slice.last_id}."
        )
        return None
    return token


def _work_slice(kind, job: Job, job_slice: JobSlice, state, token: str, max_chunks: int | None) -> bool:
    """Work a slice chunk by chunk; True once it is finished."""
    chunks = 0
    while max_chunks is None or chunks < max_chunks:
        with transaction.atomic():
            # The slice's row stays locked for the chunk: a sweep's task that finds it quiet
            # waits for the chunk to commit (and then finds it fresh) instead of taking it over.
            held = JobSlice.objects.select_for_update().filter(pk=job_slice.pk, lease=token).first()
            if held is None:
                raise LeaseLost
            job_slice.cursor = held.cursor
            result = kind.work(job, job_slice, state)
            now = timezone.now()
            mine = JobSlice.objects.filter(pk=job_slice.pk, lease=token)
            if result is None:
                if not mine.update(finished_at=now, heartbeat_at=now):
                    raise LeaseLost
                return True
            cursor, done = result
            if not mine.update(cursor=cursor, heartbeat_at=now):
                raise LeaseLost  # rolls this chunk back; the task that took over does it
            Job.objects.filter(pk=job.pk).update(done=F("done") + done, heartbeat_at=now)
        chunks += 1
    return False


def _close_if_complete(job_id: int, kind, state) -> None:
    """Mark the job done when no slice is left, after the kind's last step."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status in (JobStatus.DONE, JobStatus.FAILED) or job.slices.filter(finished_at__isnull=True).exists():
            return
        kind.finish(job, state)
        now = timezone.now()
        Job.objects.filter(pk=job_id).update(status=JobStatus.DONE, finished_at=now, heartbeat_at=now)


def _close(job_id: int, *, note: str) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job_id).exclude(status__in=[JobStatus.DONE, JobStatus.FAILED]).update(
        status=JobStatus.DONE, finished_at=now, error=note[:2000]
    )


# --- Recovering ---------------------------------------------------------------------------------


def resume_stalled_jobs(now=None) -> list[int]:
    """Send again every unfinished slice whose worker went quiet (killed, or a message lost or
    never sent) and every job left unclosed; returns the ids of the jobs resumed."""
    now = now or timezone.now()
    quiet = now - stall_after()
    open_jobs = Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    stalled_slices = list(
        JobSlice.objects.filter(job__in=open_jobs, finished_at__isnull=True)
        .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=quiet))
        .filter(Q(sent_at__isnull=True) | Q(sent_at__lt=quiet))
        .values_list("pk", "job_id")
    )
    unfinished = JobSlice.objects.filter(job=OuterRef("pk"), finished_at__isnull=True)
    unclosed = list(
        open_jobs.exclude(Exists(unfinished))
        .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=quiet))
        .filter(created_at__lt=quiet)
        .values_list("pk", flat=True)
        .distinct()
    )
    from jobs.tasks import bulk_run_job

    resumed = set()
    for slice_id, job_id in stalled_slices:
        JobSlice.objects.filter(pk=slice_id).update(sent_at=now)
        bulk_run_job.delay(job_id, slice_id)
        resumed.add(job_id)
    for job_id in unclosed:
        Job.objects.filter(pk=job_id).update(heartbeat_at=now)
        bulk_run_job.delay(job_id, None)
        resumed.add(job_id)
    if resumed:
        logger.warning("Resumed stalled jobs %s", sorted(resumed))
    return sorted(resumed)


def record_job_failure(job_id: int, error: Exception) -> None:
    """Keep the error on the job; after MAX_JOB_FAILURES it is marked failed instead of retried."""
    message = f"{type(error).__name__}: {error}"[:2000]
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
            return
        job.failures += 1
        job.error = message
        if job.failures >= MAX_JOB_FAILURES:
            job.status, job.finished_at = JobStatus.FAILED, timezone.now()
        job.save(update_fields=["failures", "error", "status", "finished_at"])


def fail_job(job_id: int, message: str) -> None:
    """Give up on a job, keeping why; its slices are no longer swept."""
    now = timezone.now()
    Job.objects.filter(pk=job_id).exclude(status__in=[JobStatus.DONE, JobStatus.FAILED]).update(
        status=JobStatus.FAILED, finished_at=now, error=message[:2000]
    )


def record_send_failure(job_id: int, error: Exception, *, slice_id: int | None = None, lease: str = "") -> None:
    """The broker refused the job's next task: say so on the job and free the slice, so the sweep
    sends it again at once (not as a takeover from a dead task); not one of the job's failures."""
    message = f"Could not queue the next part ({type(error).__name__}: {error}); retrying."[:2000]
    Job.objects.filter(pk=job_id).exclude(status__in=[JobStatus.DONE, JobStatus.FAILED]).update(error=message)
    if slice_id is not None and lease:
        JobSlice.objects.filter(pk=slice_id, lease=lease).update(lease="", heartbeat_at=None)
