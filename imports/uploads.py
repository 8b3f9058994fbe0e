"""An upload handler that drops a file once it passes CRM_IMPORT_MAX_BYTES, before Django has
kept it in memory or written it to a temporary file whole. The request is marked
(`request.upload_too_large`), the other form fields still arrive, and the import's view and
API answer 413 with a message instead of a file."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class UploadSizeLimit(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        if self.content_length is not None and self.content_length > settings.CRM_IMPORT_MAX_BYTES:
            self._drop()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.CRM_IMPORT_MAX_BYTES:
            self._drop()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers keep the file

    def _drop(self):
        if self.request is not None:
            self.request.upload_too_large = True
        raise SkipFile


def too_large(request) -> bool:
    """Whether this request's upload was dropped for its size (a DRF or a Django request)."""
    django_request = getattr(request, "_request", request)
    return bool(getattr(django_request, "upload_too_large", False))


def too_large_message() -> str:
    megabytes = settings.CRM_IMPORT_MAX_BYTES / 1024 / 1024
    return f"The file is larger than {megabytes:,.0f} MB: split it and import each part."
