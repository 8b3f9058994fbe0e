"""A contact erased on request (data_rights) is closed for good: nothing more is recorded about
them. Every service that would write something for them (an interaction, a lead's facts, a
callback, a redemption, a sales action or rating) refuses with this one answer (409), and the
pages do not offer those actions; the contact's own edit refuses too (crm.services.update_contact)."""

from config.errors import Conflict

ERASED = "This contact's personal data was erased on request: nothing more is recorded for them."


def refuse_if_erased(contact) -> None:
    if contact is not None and contact.erased_at is not None:
        raise Conflict(ERASED)
