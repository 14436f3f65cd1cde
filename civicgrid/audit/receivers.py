"""Framework hooks for the audit log: Django's login signals and axes' lockout signal.

Only the wiring lives here; what gets written is decided in ``audit.services``.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from civicgrid.audit import services


@receiver(user_logged_in, dispatch_uid="civicgrid_audit_login")
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.audit_login_succeeded(user=user, request=request)


@receiver(user_logged_out, dispatch_uid="civicgrid_audit_logout")
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        services.audit_logout(user=user, request=request)


@receiver(user_login_failed, dispatch_uid="civicgrid_audit_login_failed")
def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    services.audit_login_failed(credentials=credentials, request=request)


@receiver(user_locked_out, dispatch_uid="civicgrid_audit_lockout")
def on_lockout(sender: Any, request: Any, username: str | None, ip_address: str | None = None, **kwargs: Any) -> None:
    services.audit_lockout(username=username, request=request)
