"""/api/v1/regions/: list and detail of regions, and /api/v1/regions/route for routing a point."""

from django.urls import URLPattern, path

from civicgrid.regions.api import RegionViewSet, RouteView

urlpatterns: list[URLPattern] = [
    path("route", RouteView.as_view(), name="regions-route"),
    path("", RegionViewSet.as_view({"get": "list"}), name="regions-list"),
    path("<int:pk>/", RegionViewSet.as_view({"get": "retrieve"}), name="regions-detail"),
]
