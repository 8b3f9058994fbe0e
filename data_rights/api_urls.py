"""/api/v1/contacts/{id}/export/ and /api/v1/contacts/{id}/erase/ (CONTRACT "Imports and data rights")."""

from django.urls import re_path

from config.ids import ID_PATTERN
from data_rights import api

urlpatterns = [
    re_path(rf"^(?P<pk>{ID_PATTERN})/export/$", api.ContactExportView.as_view(), name="api-contact-export"),
    re_path(rf"^(?P<pk>{ID_PATTERN})/erase/$", api.ContactEraseView.as_view(), name="api-contact-erase"),
]
