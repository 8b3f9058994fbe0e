"""The live progress bar of a background job, polled by htmx while the job runs."""

from django.shortcuts import get_object_or_404, render

from crm.access import staff_required
from jobs.models import Job
from jobs.selectors import job_context


@staff_required
def job_progress(request, pk):
    job = get_object_or_404(Job, pk=pk)
    return render(request, "jobs/_job.html", job_context(job, label=request.GET.get("label", "")[:100]))
