from django.urls import path

from desk import company, console, duplicates, home, lead_email, pipeline, search, views

urlpatterns = [
    path("", home.home, name="home"),
    path("home/running/", home.running, name="home-running"),
    path("pipeline/", pipeline.pipeline, name="pipeline"),
    path("pipeline/<int:pk>/move/", pipeline.move, name="pipeline-move"),
    path("pipeline/<int:pk>/move/form/", pipeline.move_form, name="pipeline-move-form"),
    path("leads/<int:pk>/", views.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/log/", views.log_interaction, name="lead-log"),
    path("leads/<int:pk>/redeem/", views.redeem, name="lead-redeem"),
    path("leads/<int:pk>/email/", lead_email.write, name="lead-email"),
    path("contacts/duplicates/", duplicates.duplicates, name="contact-duplicates"),
    path("contacts/merge/", duplicates.merge, name="contact-merge"),
    path("console/", console.console, name="console"),
    path("console/search/", console.console_search, name="console-search"),
    path("console/caller/<int:pk>/", console.console_caller, name="console-caller"),
    path("console/offers/", console.console_offers, name="console-offers"),
    path("console/new-caller/", console.new_caller, name="console-new-caller"),
    path("search/", search.search_page, name="search"),
    path("search/suggest/", search.suggest, name="search-suggest"),
    path("companies/<int:pk>/", company.company_detail, name="company-detail"),
    path("companies/<int:pk>/edit/", company.company_edit, name="company-edit"),
]
