"""/api/v1/disputes/: mediation records by case number, the figures."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from .api import FiguresView, MediationViewSet

router = SimpleRouter()
router.register("", MediationViewSet, basename="dispute")
urlpatterns: list[URLPattern | URLResolver] = [
    path("figures", FiguresView.as_view(), name="disputes-figures"),
    *router.urls,
]
