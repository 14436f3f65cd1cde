"""Everything under /api/v1/: each app contributes its own routes."""

from django.urls import include, path

urlpatterns = [
    path("regions/", include("civicgrid.regions.api_urls")),
]
