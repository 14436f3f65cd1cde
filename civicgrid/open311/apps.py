from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "civicgrid.open311"
    label = "open311"
    verbose_name = _("Open311 接口")

    def ready(self) -> None:
        from civicgrid.open311.policies import register

        register()
