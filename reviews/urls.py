"""The application's pages, one set per part of the job; the URL names are global, as every template uses them,
but for the import jobs' pages, which are named in their own namespace (`imports:detail`)."""

from django.urls import include, path

urlpatterns = [
    path("", include("reviews.workflow.urls")),
    path("", include("reviews.quality.urls")),
    path("", include("reviews.results.urls")),
    path("", include("reviews.exchange.urls")),
    path("", include("reviews.remedies.urls")),
    path("imports/", include("reviews.imports.urls")),
]
