from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "civicgrid.audit"
    label = "audit"
    verbose_name = _("审计日志")

    def ready(self) -> None:
        from civicgrid.audit import policies, receivers  # noqa: F401  (registers hooks and rules)
