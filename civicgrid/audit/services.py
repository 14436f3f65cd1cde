"""Writing the audit log (审计日志): one function appends a row; the login hooks call it.

Rows record who (actor and account name), what (action, target, detail), when (``at``, UTC) and from
where (client IP and user agent). Passwords and secrets never go into ``detail``.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest

from civicgrid.audit.models import AuditEntry

# The request being served, set by ``AuditContextMiddleware`` so services deep down record ip and agent.
current_request: ContextVar[HttpRequest | None] = ContextVar("civicgrid_audit_request", default=None)

# Values of keys ending so ("password", "new_password", "api_token") are never stored.
_SECRET_KEYS = ("password", "password1", "password2", "secret", "token")
_USER_AGENT_MAX = 300


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as axes sees it (REMOTE_ADDR unless axes is configured for a proxy)."""
    if request is None:
        return None
    value = getattr(request, "axes_ip_address", None)
    if not value:
        from axes.helpers import get_client_ip_address

        value = get_client_ip_address(request)
    try:
        return str(ipaddress.ip_address(str(value).strip())) if value else None
    except ValueError:
        return None


def client_user_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("HTTP_USER_AGENT", ""))[:_USER_AGENT_MAX]


def _without_secrets(value: Any) -> Any:
    """The value with the values of secret-named keys masked, at any depth of dicts and lists."""
    if isinstance(value, Mapping):
        return {
            str(key): "***" if str(key).lower().endswith(_SECRET_KEYS) else _without_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_without_secrets(item) for item in value]
    return value


def _clean_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON-safe copy without secrets (lazy translations, dates and decimals become strings)."""
    if not detail:
        return {}
    return dict(json.loads(json.dumps(_without_secrets(detail), cls=DjangoJSONEncoder, default=str)))


def audit_record(
    *,
    actor: Any | None,
    action: str,
    target: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor_name: str | None = None,
) -> AuditEntry:
    """Append one audit row, in the caller's transaction.

    ``actor`` may be None (the system, or an unknown account: then pass ``actor_name``). Without
    ``request`` the request being served (if any) gives the ip and user agent.
    """
    if request is None:
        request = current_request.get()
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    name = actor_name if actor_name is not None else (user.get_username() if user is not None else "")
    entry = AuditEntry(
        actor=user,
        actor_name=str(name)[:150],
        action=action[:64],
        detail=_clean_detail(detail),
        ip=client_ip(request),
        user_agent=client_user_agent(request),
    )
    if target is not None:
        meta = target._meta
        entry.target_type = f"{meta.app_label}.{meta.model_name}"[:64]
        entry.target_id = str(target.pk if target.pk is not None else "")[:64]
        entry.target_repr = str(target)[:200]
    entry.save()
    return entry


# --- login, logout, failure and lockout (called from the receivers in audit/receivers.py) -----------


def audit_login_succeeded(*, user: Any, request: HttpRequest | None) -> AuditEntry:
    return audit_record(actor=user, action="auth.login", target=user, detail=_path(request), request=request)


def audit_logout(*, user: Any | None, request: HttpRequest | None) -> AuditEntry:
    return audit_record(actor=user, action="auth.logout", target=user, detail=_path(request), request=request)


def audit_login_failed(*, credentials: Mapping[str, Any], request: HttpRequest | None) -> AuditEntry:
    username = str(credentials.get("username") or "")[:150]
    detail = {**_path(request), "username": username}
    if request is not None and getattr(request, "axes_locked_out", False):
        detail["locked_out"] = True
    return audit_record(actor=None, actor_name=username, action="auth.login_failed", detail=detail, request=request)


def audit_lockout(*, username: str | None, request: HttpRequest | None) -> AuditEntry:
    name = str(username or "")[:150]
    return audit_record(
        actor=None, actor_name=name, action="auth.lockout", detail={**_path(request), "username": name}, request=request
    )


def _path(request: HttpRequest | None) -> dict[str, Any]:
    return {"path": request.path} if request is not None and hasattr(request, "path") else {}
