from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    label = "cases"
    verbose_name = _("事件办理")

    def ready(self) -> None:
        # The Case policy plugs into the one authorization module (see policies.py).
        from civicgrid.cases.policies import register

        register()
