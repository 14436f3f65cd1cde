from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "civicgrid.portal"
    label = "portal"
    verbose_name = _("群众上报门户")

    def ready(self) -> None:
        from civicgrid.portal.policies import register

        register()
