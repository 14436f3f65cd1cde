from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "civicgrid.people"
    label = "people"
    verbose_name = _("机构与人员")

    def ready(self) -> None:
        from civicgrid.people import policies

        policies.register()
