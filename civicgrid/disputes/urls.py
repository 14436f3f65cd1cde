"""/disputes/: the workbench, the board, screening, the dispute page and its actions, the figures."""

from django.urls import path

from . import views

app_name = "disputes"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("board/", views.board, name="board"),
    path("figures/", views.figures, name="figures"),
    path("screening/", views.screening_list, name="screening"),
    path("screening/<int:round_id>/", views.screening_round, name="screening-round"),
    path("screening/reports/<int:report_id>/", views.screening_report, name="screening-report"),
    path("<str:number>/", views.dispute_detail, name="detail"),
    path("<str:number>/parties/", views.party_add, name="party-add"),
    path("<str:number>/parties/<int:party_id>/reveal/", views.party_reveal, name="party-reveal"),
    path("<str:number>/assign/", views.assign, name="assign"),
    path("<str:number>/sessions/", views.session, name="session"),
    path("<str:number>/risk/", views.risk, name="risk"),
    path("<str:number>/outcome/", views.outcome, name="outcome"),
    path("<str:number>/agreement/", views.agreement_generate, name="agreement"),
    path("<str:number>/scan/", views.scan, name="scan"),
    path("<str:number>/performance/", views.performance, name="performance"),
    path("<str:number>/court-confirmation/", views.court, name="court"),
    path("<str:number>/documents/<int:document_id>/", views.document_download, name="document"),
]
