"""Top-level URL map."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

# The API first: Django tries the patterns in order (all prefixes differ, so order changes no match).
urlpatterns = [
    path("api/v1/", include("civicgrid.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("accounts/", include("civicgrid.people.urls")),
    path("disputes/", include("civicgrid.disputes.urls")),
    path("inbox/", include("civicgrid.notifications.urls")),
    path("cases/", include("civicgrid.cases.urls")),
    path("open311/v2/", include("civicgrid.open311.urls")),
    path("", include("civicgrid.portal.urls")),
    path("", include("civicgrid.core.urls")),
]
