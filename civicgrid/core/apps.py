from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "civicgrid.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from civicgrid.core import generations

        generations.watch_writes()
