"""Rescoring every lead after a publish, as a kind of background job (jobs.kinds).

A chunk is RESCORE_CHUNK leads: their rows, contacts and interactions in memory at once (a few
MB), locked, scored and written back in one transaction. Leads already on the target version
are skipped, so a chunk worked twice counts nothing twice.
"""

from jobs.kinds import JobObsolete
from scoring import services
from scoring.models import RuleSet, RuleSetStatus


class RescoreJob:
    def begin(self, job):
        rule_set = RuleSet.objects.get(version=job.params["version"])
        if rule_set.status != RuleSetStatus.PUBLISHED:  # a later publish's job rescores everyone
            raise JobObsolete("Superseded by a newer version.")
        return services.book_for(rule_set)

    def work(self, job, job_slice, book):
        ids = services.leads_behind(book.version, after=job_slice.cursor, up_to=job_slice.last_id)
        if not ids:
            return None
        done = services.rescore_many(ids, book=book, reason=_reason(book), only_behind=True)
        return ids[-1], done

    def finish(self, job, book):
        """One last pass over the whole table for leads a request racing the publish scored
        under the old rules; the job then counts every lead it was started for."""
        while stragglers := services.leads_behind(book.version, after=0):
            services.rescore_many(stragglers, book=book, reason=_reason(book), only_behind=True)
        job.done = job.total
        job.save(update_fields=["done"])


def _reason(book) -> str:
    return f"Rules version {book.version} published"
