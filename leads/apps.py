from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads and interactions"

    def ready(self):
        """Tell scoring the interaction kinds its rules may name and lend the scoring page its
        preview over the leads (scoring sits below leads and cannot read them); read the rules
        of engagement once per request or task."""
        from celery.signals import task_postrun, task_prerun
        from django.core.signals import request_finished, request_started

        from leads import engagement, rescore
        from leads.kinds import InteractionKind
        from scoring import definition, preview

        definition.know_interaction_kinds(InteractionKind.values)
        preview.lend(rescore.preview_rules)
        request_started.connect(engagement.begin_unit_of_work, dispatch_uid="engagement-begin-request")
        request_finished.connect(engagement.end_unit_of_work, dispatch_uid="engagement-end-request")
        task_prerun.connect(engagement.begin_unit_of_work, dispatch_uid="engagement-begin-task", weak=False)
        task_postrun.connect(engagement.end_unit_of_work, dispatch_uid="engagement-end-task", weak=False)
