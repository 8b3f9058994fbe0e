"""A contact's data rights: export everything held about them, and erase it (the right to be
forgotten), with the figures kept and the address suppressed from later imports.

- `registry.py`: every model that holds data about a contact, where its rows are, and what
  export and erasure do with them; tests/crm/test_data_rights.py fails when a model appears
  that it does not list.
- `scope.py`: the rows of one contact, found once, before anything changes.
- `erasers.py`: what erasure does to each model's rows (queryset updates, one per model).
- `selectors.py`: the export document and the confirmation page's preview.
- `services.py`: `erase_contact`, the one function that erases, in one transaction.
- `letters.py`: the batch PDFs on disk, written again without an erased contact's letters.
- `api.py`, `views.py`, `urls.py`: the manager's endpoints and pages.

This package sits above the other apps (it reads leads, letters, e-mails…), so nothing in
`crm` imports it: only the URL configuration does. See docs/adr/0010-export-and-erasure.md.
"""
