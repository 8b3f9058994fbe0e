from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "Follow-ups and letters"

    def ready(self):
        """Lend the leads app's code resolver the letters' response codes (letters sit above
        leads: each is written for a lead), so a code read out on a call or typed in a form
        finds its letter through the one resolver (leads.codes)."""
        from followups.letters.selectors import letter_by_code
        from followups.letters.services import letter_answered
        from leads import codes

        codes.lend_letters(find=letter_by_code, responded=letter_answered)
