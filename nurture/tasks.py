"""Celery tasks for sequences: thin; the rows say what is due, these only work them."""

from celery import shared_task

from nurture import ends, engine, services


@shared_task
def bulk_advance_sequences() -> int:
    """Do every step that has fallen due, in bounded batches (from beat every 30 s, and right
    after an enrolment)."""
    return engine.advance_all()


@shared_task
def end_finished_enrolments() -> int:
    """End the enrolments whose goal was reached or whose lead may no longer be contacted."""
    return len(ends.end_finished())


@shared_task
def bulk_enrol_by_triggers() -> int:
    return services.enrol_by_triggers()
