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

Where webhooks may go
---------------------
Receivers on the government intranet (10.x, 172.16–31.x, 192.168.x) are normal. This host itself
(loopback), link-local addresses (169.254.169.254 is the cloud metadata service), and unspecified,
multicast and reserved addresses are refused: an endpoint there would let whoever registers endpoints
make this server call its own private services and read the first bytes of their answers in the outbox.
``CIVICGRID["NOTIFY_WEBHOOK_ALLOWED_NETWORKS"]`` (a list of CIDR blocks) lifts the refusal for a
receiver that must live in such a range. The name is resolved once and the connection goes to that
checked address (TLS still verifies the certificate for the name), so a second DNS answer cannot
redirect it.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Callable
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


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    blocks = settings.CIVICGRID.get("NOTIFY_WEBHOOK_ALLOWED_NETWORKS", ())
    return [ipaddress.ip_network(str(block), strict=False) for block in blocks]


def address_refused(address: IPAddress) -> bool:
    """Whether webhooks may not be sent to ``address`` (see "Where webhooks may go" above)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(address in network for network in _allowed_networks()):
        return False
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
        or address == ipaddress.IPv4Address("255.255.255.255")
    )


def literal_host_refused(host: str) -> bool:
    """For checking a URL as it is registered, without looking the name up: a refused IP, or localhost."""
    try:
        return address_refused(ipaddress.ip_address(host))
    except ValueError:
        name = host.rstrip(".").lower()
        return (name == "localhost" or name.endswith(".localhost")) and address_refused(
            ipaddress.IPv4Address("127.0.0.1")
        )


def webhook_address(host: str, port: int) -> str:
    """The address to connect to for ``host``: looked up once, every answer checked."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    addresses = [str(answer[4][0]).split("%", 1)[0] for answer in answers]
    for address in addresses:
        if address_refused(ipaddress.ip_address(address)):
            message = _("Webhook 地址 %(host)s 指向本机或保留地址 %(address)s，不予发送。")
            raise PermanentDeliveryError(message % {"host": host, "address": address})
    if not addresses:
        raise DeliveryError(f"no address for {host}")
    return addresses[0]


def _pinned(address: str) -> Callable[..., socket.socket]:
    """``socket.create_connection`` to ``address`` whatever host it is asked for."""

    def connect(target: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        return socket.create_connection((address, target[1]), *args, **kwargs)

    return connect


def send_webhook(message: OutboxMessage, *, timeout: float) -> None:
    endpoint = message.endpoint
    if endpoint is None:
        raise PermanentDeliveryError(_("Webhook 接收端已删除。"))
    if not endpoint.active:
        raise PermanentDeliveryError(_("Webhook 接收端已停用。"))
    # Posted only to the URL registered on the endpoint, never to one carried by the message.
    url = urlsplit(endpoint.url)
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
    except ValueError:  # a port beyond 65535
        port = 0
    if url.scheme not in {"http", "https"} or not url.hostname or not port:
        raise PermanentDeliveryError(_("只能向 http/https 地址发送 Webhook：%(url)s") % {"url": endpoint.url})
    address = webhook_address(url.hostname, port)
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
        context = ssl.create_default_context()
        connection = http.client.HTTPSConnection(url.hostname, port, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(url.hostname, port, timeout=timeout)
    # The checked address, not a fresh lookup; Host header and TLS name stay the URL's.
    connection._create_connection = _pinned(address)  # type: ignore[attr-defined]
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
