"""/open311/v2/…: the GeoReport v2 resources, each as .xml or .json."""

from django.urls import re_path

from . import views

FMT = r"\.(?P<fmt>xml|json)$"

app_name = "open311"
urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(r"^services/(?P<code>[^/]{1,64})" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]{1,64})" + FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]{1,64})" + FMT, views.token, name="token"),
    re_path(r"^servicerequestupdates" + FMT, views.updates, name="updates"),
    re_path(r"^(?P<rest>.*)\.json$", views.not_found, {"fmt": "json"}),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
