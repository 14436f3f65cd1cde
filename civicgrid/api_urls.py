"""Everything under /api/v1/: each app contributes its own routes."""

from django.urls import include, path

# Case intake, the busiest route, first (Django tries the patterns in order; the prefixes all differ).
urlpatterns = [
    path("cases/", include("civicgrid.cases.api_urls")),
    path("regions/", include("civicgrid.regions.api_urls")),
    path("disputes/", include("civicgrid.disputes.api_urls")),
    path("notifications/", include("civicgrid.notifications.api_urls")),
    path("people/", include("civicgrid.people.api_urls")),
    path("intake/", include("civicgrid.portal.api_urls")),
]
