from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self):
        from jobs import signals  # noqa: F401  (a worker that starts sweeps for stalled jobs)
