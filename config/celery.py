"""The Celery application. Configuration comes from Django settings (CELERY_* names)."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
@worker_process_init.connect
def freeze_start_up_objects(**kwargs):
    """Move everything built at start-up (Django, the models, the tasks) out of the cyclic
    collector's reach: a sweep of a hundred thousand rows allocates enough to run the full
    collection many times, and each one walked all of it again (about a tenth of the nurture
    sweep's CPU before this)."""
    gc.freeze()
