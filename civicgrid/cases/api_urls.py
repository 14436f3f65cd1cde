"""/api/v1/cases/: the closed loop through the API (see civicgrid/cases/api.py for the error contract)."""

from django.urls import URLPattern, path

from civicgrid.cases import api

urlpatterns: list[URLPattern] = [
    path("", api.CaseListCreateView.as_view(), name="cases-api-list"),
    path("todo/", api.CaseTodoView.as_view(), name="cases-api-todo"),
    path("categories/", api.CategoryListView.as_view(), name="cases-api-categories"),
    path("<str:number>/", api.CaseDetailView.as_view(), name="cases-api-detail"),
    path("<str:number>/timeline/", api.CaseTimelineView.as_view(), name="cases-api-timeline"),
    path("<str:number>/stages/", api.CaseStagesView.as_view(), name="cases-api-stages"),
    path("<str:number>/attachments/", api.CaseAttachmentsView.as_view(), name="cases-api-attachments"),
    path(
        "<str:number>/attachments/<str:attachment_id>/",
        api.CaseAttachmentDownloadView.as_view(),
        name="cases-api-attachment",
    ),
    path("<str:number>/reporter/reveal/", api.ReporterRevealView.as_view(), name="cases-api-reporter-reveal"),
    path("<str:number>/summonses/", api.CaseSummonsView.as_view(), name="cases-api-summonses"),
    path(
        "<str:number>/summonses/<str:summons_id>/report/",
        api.SummonsReportView.as_view(),
        name="cases-api-summons-report",
    ),
    *(
        path(f"<str:number>/{name}/", view.as_view(), name=f"cases-api-{name}")
        for name, view in api.TRANSITION_VIEWS.items()
    ),
]
