"""The kinds of long work, each a class with three methods the runner calls (jobs.services):

- `plan(params) -> (total, id_range)` (optional): what a new job walks, when the code starting it
  (below the app that owns the rows, like scoring's publish) does not say.
- `begin(job) -> state`: once per task, before any chunk: load what the chunks share (the rule
  book, the template). Raise JobObsolete when the job no longer needs doing.
- `work(job, job_slice, state) -> (cursor, items done) | None`: do the next chunk of the slice
  after `job_slice.cursor`, idempotently, inside the transaction the runner opens (which also
  moves the cursor and the progress); None when nothing is left in the slice.
- `finish(job, state)`: once every slice is finished, under the job's row lock, before it is
  marked done (a last pass, a combined file).

Kinds are named here by import path, so this app imports none of the apps that use it.
"""

from django.utils.module_loading import import_string

JOB_KINDS = {
    "rescore": "leads.rescore.RescoreJob",
    "letters": "followups.letters.jobs.LetterBatchJob",
    "import": "imports.jobs.ImportJob",
}


class JobObsolete(Exception):
    """The job has nothing left to do (superseded, say): it is closed with this reason."""


def kind_for(name: str):
    return import_string(JOB_KINDS[name])()
