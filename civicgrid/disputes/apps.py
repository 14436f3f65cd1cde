from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "civicgrid.disputes"
    label = "disputes"
    verbose_name = _("矛盾纠纷调解")

    def ready(self) -> None:
        # The dispute policies plug into the one authorization module (see policies.py).
        from civicgrid.disputes import checks, policies

        policies.register()
        del checks  # imported for its @register side effect
