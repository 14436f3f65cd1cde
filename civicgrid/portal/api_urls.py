from django.urls import path

from . import api

urlpatterns = [
    path("cases/<str:number>/duplicates/", api.DuplicateCandidatesView.as_view(), name="intake-duplicates"),
]
