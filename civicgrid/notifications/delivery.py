"""Sending one outbox message over its channel: e-mail through Django's e-mail backend, webhooks by
signed HTTP POST to the URL an administrator registered.

Webhook requests
----------------
``POST <endpoint url>`` with ``Content-Type: application/json; charset=utf-8`` and the body::

    {"id": <delivery id>, "event": "...", "subject": "...", "body": "...", "link": "https://…",
     "payload": {...}, "created_at": "2025-…Z"}

Headers: ``X-Civicgrid-Event`` (the event), ``X-Civicgrid-Delivery`` (the delivery id, the same on
every retry: receivers use it to drop duplicates, since delivery is at-least-once),
``X-Civicgrid-Timestamp`` (Unix seconds when this attempt was signed) and
``X-Civicgrid-Signature: sha256=<hex>``, the HMAC-SHA256 under the endpoint's secret of
``<timestamp> + "." + <raw body bytes>``.

A receiver verifies a request by: reading the raw body bytes (before any JSON parsing);
computing ``hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()``;
comparing ``"sha256=" + hex`` to the signature header with a constant-time comparison
(``hmac.compare_digest``); and rejecting timestamps more than 5 minutes from its own clock, so a
captured request cannot be replayed later. Any 2xx answer counts as delivered; anything else, a
redirect included (redirects are never followed), a timeout or a refused connection is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from .models import OutboxMessage

SIGNATURE_HEADER = "X-Civicgrid-Signature"
TIMESTAMP_HEADER = "X-Civicgrid-Timestamp"
EVENT_HEADER = "X-Civicgrid-Event"
DELIVERY_HEADER = "X-Civicgrid-Delivery"


class DeliveryError(Exception):
    """This attempt failed; the message is tried again later."""


class PermanentDeliveryError(DeliveryError):
    """This message can never be delivered as it stands (endpoint removed or disabled, bad URL)."""


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Civicgrid-Signature`` value for ``body`` signed at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_body(message: OutboxMessage) -> bytes:
    document = {**message.payload, "id": message.pk, "link": absolute_link(message.payload.get("link", ""))}
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True).encode()


def absolute_link(link: str) -> str:
    """A site path as a full URL for mail and webhooks, from ``CIVICGRID["SITE_URL"]``."""
    if not link:
        return ""
    site = str(settings.CIVICGRID.get("SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return site + link


def send_email(message: OutboxMessage, *, connection: Any) -> None:
    payload = message.payload
    text = payload.get("body", "")
    if link := payload.get("link"):
        text = f"{text}\n\n{absolute_link(link)}" if text else absolute_link(link)
    email = EmailMessage(
        subject=payload.get("subject", ""),
        body=text,
        to=[message.target],
        connection=connection,
        headers={EVENT_HEADER: message.event, DELIVERY_HEADER: str(message.pk)},
    )
    try:
        email.send()
    except OSError as exc:  # smtplib's errors are OSErrors too
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def send_webhook(message: OutboxMessage, *, timeout: float) -> None:
    endpoint = message.endpoint
    if endpoint is None:
        raise PermanentDeliveryError(_("Webhook 接收端已删除。"))
    if not endpoint.active:
        raise PermanentDeliveryError(_("Webhook 接收端已停用。"))
    # Posted only to the URL registered on the endpoint, never to one carried by the message.
    url = urlsplit(endpoint.url)
    if url.scheme not in {"http", "https"} or not url.hostname:
        raise PermanentDeliveryError(_("只能向 http/https 地址发送 Webhook：%(url)s") % {"url": endpoint.url})
    body = webhook_body(message)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "civicgrid-webhook",
        EVENT_HEADER: message.event,
        DELIVERY_HEADER: str(message.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: webhook_signature(endpoint.secret, timestamp, body),
    }
    connection: http.client.HTTPConnection
    if url.scheme == "https":
        connection = http.client.HTTPSConnection(
            url.hostname, url.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(300).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise DeliveryError(f"HTTP {response.status} {response.reason}: {answer}".strip())
