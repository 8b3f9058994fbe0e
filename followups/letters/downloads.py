"""The letters' PDFs as HTTP answers, for the pages and the API alike."""

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse

from followups.letters import merge, services
from followups.letters.pdf import render_one


def batch_pdf(batch) -> FileResponse:
    """The batch's combined PDF for the mail house, as a download; 404 until it is written."""
    if not batch.pdf:
        raise Http404("The batch's PDF is not ready yet.")
    path = settings.CRM_LETTERS_DIR / batch.pdf
    if not path.exists():
        raise Http404("The batch's PDF file is missing on this server.")
    return FileResponse(
        open(path, "rb"), content_type="application/pdf", as_attachment=True, filename=f"letters-batch-{batch.pk}.pdf"
    )


def letter_pdf(letter) -> HttpResponse:
    """One letter as it was sent (its lead's contact and company loaded), printable."""
    response = HttpResponse(render_one(services.content_of(letter)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="letter-{merge.display_code(letter.code)}.pdf"'
    return response
