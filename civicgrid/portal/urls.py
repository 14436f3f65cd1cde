"""Public pages: /report/ (report a problem), /track/ (follow it with a tracking code), /stats/ (statistics)."""

from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("report/", views.report, name="report"),
    path("report/nearby.json", views.nearby, name="nearby"),
    path("report/join/", views.join, name="join"),
    path("report/map.geojson", views.grid_map, name="map"),
    path("track/", views.track, name="track"),
    path("track/<str:code>/", views.track_detail, name="track-detail"),
    path("track/<str:code>/<str:action>/", views.track_action, name="track-action"),
    path("stats/", views.stats, name="stats"),
    path("stats/data.json", views.stats_data, name="stats-data"),
]
