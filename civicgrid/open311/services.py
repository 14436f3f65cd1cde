"""Writes of the Open311 server: client applications and their keys, and accepted service requests
(ordinary cases with channel Open311, through the cases services).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.audit.services import audit_record
from civicgrid.cases.models import Case, Channel
from civicgrid.open311.models import ClientApplication, Submission
from civicgrid.open311.parsing import NewRequest
from civicgrid.people import authorization as authz
from civicgrid.portal import casebridge
from civicgrid.portal.services import tracking_code_issue


def key_hash(key: str) -> str:
    return hashlib.sha256(key.strip().encode()).hexdigest()


@dataclass(frozen=True)
class NewClient:
    client: ClientApplication
    key: str  # shown once, never stored


def open311_client_add(*, name: str, contact: str = "", actor: object | None = None) -> NewClient:
    """Register a client application and make its key. ``actor`` None is the command line (the operator
    of the server); a user must be allowed ``open311client.add``."""
    if actor is not None:
        authz.require(actor, "open311client.add")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": _("名称必填，最多 100 个字符。")})
    if ClientApplication.objects.filter(name=name).exists():
        raise ValidationError({"name": _("已有同名客户端：%(name)s") % {"name": name}})
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        client = ClientApplication.objects.create(
            name=name, contact=contact.strip()[:200], key_prefix=key[:8], key_hash=key_hash(key)
        )
        audit_record(
            actor=actor,
            actor_name=None if actor is not None else "command line",
            action="open311.client_add",
            target=client,
            detail={"name": name},
        )
    return NewClient(client=client, key=key)


def open311_client_rotate(*, client: ClientApplication, actor: object | None = None) -> NewClient:
    """A new key for the client; the old one stops working at once."""
    if actor is not None:
        authz.require(actor, "open311client.change", client)
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        client.key_prefix, client.key_hash = key[:8], key_hash(key)
        client.save(update_fields=["key_prefix", "key_hash"])
        audit_record(actor=actor, action="open311.client_rotate", target=client)
    return NewClient(client=client, key=key)


def open311_client_set_active(*, client: ClientApplication, active: bool, actor: object | None = None) -> None:
    if actor is not None:
        authz.require(actor, "open311client.change", client)
    with transaction.atomic():
        client.is_active = active
        client.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="open311.client_enable" if active else "open311.client_disable",
            target=client,
        )


def client_for_key(key: str) -> ClientApplication | None:
    """The active client holding ``key`` (None for a missing, unknown or disabled key)."""
    key = (key or "").strip()
    if not key or len(key) > 200:
        return None
    client = ClientApplication.objects.filter(key_hash=key_hash(key), is_active=True).first()
    if client is not None:
        ClientApplication.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return client


@dataclass(frozen=True)
class Accepted:
    case: Case
    token: str
    account_id: str


def open311_request_submit(*, client: ClientApplication, request: NewRequest) -> Accepted:
    """File the request as an ordinary case (channel Open311) and issue its token (the tracking code)."""
    attributes = dict(request.attributes)
    meta = {
        k: v
        for k, v in {
            "client": client.name,
            "address_id": request.address_id,
            "device_id": request.device_id,
            "account_id": request.account_id,
            "media_url": request.media_url,
        }.items()
        if v
    }
    attributes["open311"] = meta
    description = request.description
    title = description.splitlines()[0][:40] if description.strip() else request.category.name
    name = " ".join(part for part in (request.first_name, request.last_name) if part)
    with transaction.atomic():
        case = casebridge.create_case(
            channel=Channel.OPEN311,
            category=request.category,
            title=title,
            description=description,
            lon=request.lon,
            lat=request.lat,
            address=request.address,
            reporter_name=name,
            reporter_phone=request.phone,
            reporter_email=request.email,
            anonymous=not (name or request.phone or request.email),
            attributes=attributes,
        )
        Submission.objects.create(client=client, case=case, media_url=request.media_url)
        token = tracking_code_issue(case=case, reporter=case.reporter, channel=Channel.OPEN311)
    return Accepted(case=case, token=token, account_id=request.account_id)
