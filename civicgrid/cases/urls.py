"""/cases/: the staff workbench. case_link(case) in services points at /cases/<number>/."""

from django.urls import path

from civicgrid.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("todo/", views.todo, name="todo"),
    path("new/", views.case_new, name="new"),
    path("map/", views.case_map, name="map"),
    path("map/grids.geojson", views.map_grids, name="map-grids"),
    path("map/cases.geojson", views.map_cases, name="map-cases"),
    path("<str:number>/", views.case_detail, name="detail"),
    path("<str:number>/act/<str:action>/", views.case_act, name="act"),
    path("<str:number>/reporter/", views.reporter_reveal, name="reveal"),
    path("<str:number>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("<str:number>/summonses/<int:summons_id>/report/", views.summons_report, name="summons-report"),
]
