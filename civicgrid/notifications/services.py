"""Every write of the notifications app: queueing in the caller's transaction, delivering due outbox
rows (the worker's job), marking inbox items read, retrying failed deliveries."""

from __future__ import annotations

import copy
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.audit.services import audit_record
from civicgrid.core.generations import GenerationCache
from civicgrid.core.jobs import claim
from civicgrid.people.authorization import require, visible
from civicgrid.people.models import User

from .delivery import DeliveryError, PermanentDeliveryError, send_email, send_webhook
from .models import Channel, Notification, OutboxMessage, Status, WebhookEndpoint

logger = logging.getLogger("civicgrid.notifications")

_EVENT_MAX = OutboxMessage._meta.get_field("event").max_length or 64
_SUBJECT_MAX = Notification._meta.get_field("subject").max_length or 200
_LINK_MAX = Notification._meta.get_field("link").max_length or 500


def _knob(name: str, default: float) -> float:
    knobs: dict[str, Any] = settings.CIVICGRID
    return float(knobs.get(name, default))


def max_attempts() -> int:
    return int(_knob("NOTIFY_MAX_ATTEMPTS", 8))


def retry_delay(attempts: int, *, rand: float | None = None) -> timedelta:
    """Back-off after the ``attempts``-th failure: base·2^(attempts−1), capped, with "equal jitter"
    (a random point in the upper half), so the waits grow while retries from many rows spread out."""
    base = _knob("NOTIFY_RETRY_BASE_SECONDS", 60)
    ceiling = min(_knob("NOTIFY_RETRY_MAX_SECONDS", 6 * 3600), base * 2 ** max(attempts - 1, 0))
    share = random.random() if rand is None else rand  # noqa: S311 - spreading retries, not security
    return timedelta(seconds=ceiling / 2 + ceiling / 2 * share)


# Every notification asks which endpoints are active; they change only when an administrator edits one.
_active_endpoints: GenerationCache[list[WebhookEndpoint]] = GenerationCache(
    ("notifications_webhookendpoint",), lambda: list(WebhookEndpoint.objects.filter(active=True))
)


def _check_link(link: str) -> None:
    # Rendered as an href in the inbox: only paths on this site (no javascript:, no other hosts).
    if link and (not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > _LINK_MAX):
        raise ValueError(f"notification link must be a path on this site, got {link!r}")


@dataclass
class NotificationRows:
    """The rows one notification writes, built but not saved (``notification_rows``)."""

    inbox: list[Notification]
    outbox: list[OutboxMessage]

    @property
    def queued(self) -> int:
        """Inbox rows plus outbox rows that will be sent (dead rows for bad addresses do not count)."""
        return len(self.inbox) + sum(message.status == Status.PENDING for message in self.outbox)


def notification_rows(
    *,
    event: str,
    subject: str,
    body: str,
    recipients: Iterable[User] = (),
    emails: Iterable[str] = (),
    link: str = "",
    payload: dict[str, Any] | None = None,
) -> NotificationRows:
    """The rows ``notification_queue`` writes, for a caller that writes them itself in the same
    transaction (the one-statement case intake); same arguments and checks."""
    if not event or len(event) > _EVENT_MAX:
        raise ValueError(f"event must be 1–{_EVENT_MAX} characters, got {event!r}")
    _check_link(link)
    subject = " ".join(subject.split())[:_SUBJECT_MAX]  # one line: it becomes a mail header
    now = timezone.now()
    users = list({user.pk: user for user in recipients}.values())
    addresses: dict[str, str] = {}  # the first spelling of each address, case-insensitively
    for address in emails:
        if address.strip():
            addresses.setdefault(address.strip().lower(), address.strip())
    content = {"event": event, "subject": subject, "body": body, "link": link}
    messages: list[OutboxMessage] = []
    for address in addresses.values():
        message = OutboxMessage(channel=Channel.EMAIL, event=event, target=address[:500], payload=content)
        try:
            validate_email(address)
        except ValidationError:
            message.status, message.next_attempt_at = Status.DEAD, None
            message.last_error = _("电子邮件地址无效。")
        messages.append(message)
    webhook_content = {**content, "payload": payload or {}, "created_at": now}
    for endpoint in _active_endpoints.get():
        if endpoint.wants(event):
            messages.append(
                OutboxMessage(
                    channel=Channel.WEBHOOK,
                    event=event,
                    target=endpoint.url,
                    endpoint=copy.copy(endpoint),  # the cached instance is shared: hand out a copy
                    payload=webhook_content,
                )
            )
    inbox = [
        Notification(user=user, event=event, subject=subject, body=body, link=link, created_at=now) for user in users
    ]
    return NotificationRows(inbox=inbox, outbox=messages)


def notification_queue(
    *,
    event: str,
    subject: str,
    body: str,
    recipients: Iterable[User] = (),
    emails: Iterable[str] = (),
    link: str = "",
    payload: dict[str, Any] | None = None,
) -> int:
    """Queue one notification in the caller's transaction; returns the number of rows queued.

    Writes an inbox row per recipient (visible at once), an e-mail outbox row per address and a
    webhook outbox row per active endpoint subscribed to ``event``; the worker sends the outbox after
    commit, so a rolled-back change leaves nothing behind. ``link`` is a path on this site.
    Webhooks leave the system: ``payload`` must not carry residents' personal data.
    An address that is not an e-mail address is recorded as a dead row (visible to administrators)
    rather than failing the caller's change; it is not counted.
    """
    rows = notification_rows(
        event=event, subject=subject, body=body, recipients=recipients, emails=emails, link=link, payload=payload
    )
    # No savepoint: inside the caller's transaction a failure here rolls the whole change back anyway,
    # and SAVEPOINT + RELEASE would cost two round trips on every queued notification.
    with transaction.atomic(savepoint=False):
        Notification.objects.bulk_create(rows.inbox)
        OutboxMessage.objects.bulk_create(rows.outbox)
    return rows.queued


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own unread items read (all of them when ``ids`` is None); returns how many.

    Ids of other users' items match nothing: nobody can touch another inbox.
    """
    rows = visible(user, Notification.objects.filter(read_at__isnull=True))
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    with transaction.atomic():
        return rows.update(read_at=timezone.now())


def outbox_deliver_due(*, limit: int = 50) -> int:
    """Send up to ``limit`` due outbox rows; returns how many were attempted. The worker's job.

    Rows are claimed and leased in a short transaction, sent outside it (no lock held over the
    network), and each outcome is written on its own: sent; or failed with a back-off; or dead
    after the last attempt. Every failure keeps its error and the attempt count.
    """
    timeout = _knob("NOTIFY_WEBHOOK_TIMEOUT_SECONDS", 5)
    # The lease outlasts the whole batch at its slowest, so no other worker re-sends a row in flight.
    lease = timedelta(seconds=limit * max(timeout, float(getattr(settings, "EMAIL_TIMEOUT", None) or 10)) + 60)
    now = timezone.now()
    with transaction.atomic():
        due = OutboxMessage.objects.filter(next_attempt_at__lte=now).select_related("endpoint")
        batch = claim(due.order_by("next_attempt_at", "id"), limit=limit)
        if not batch:
            return 0
        OutboxMessage.objects.filter(pk__in=[message.pk for message in batch]).update(
            attempts=F("attempts") + 1, last_attempt_at=now, next_attempt_at=now + lease
        )
    mail_connection: Any = None
    try:
        for message in batch:
            message.attempts += 1
            try:
                if message.channel == Channel.EMAIL:
                    if mail_connection is None:
                        mail_connection = get_connection()
                        mail_connection.open()
                    send_email(message, connection=mail_connection)
                elif message.channel == Channel.WEBHOOK:
                    send_webhook(message, timeout=timeout)
                else:
                    raise PermanentDeliveryError(f"unknown channel {message.channel!r}")
            except Exception as exc:  # one bad message must not stop the batch
                if mail_connection is not None and message.channel == Channel.EMAIL:
                    _close_quietly(mail_connection)
                    mail_connection = None
                error = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
                _record_failure(message, error, permanent=isinstance(exc, PermanentDeliveryError))
            else:
                OutboxMessage.objects.filter(pk=message.pk).update(
                    status=Status.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
                )
    finally:
        if mail_connection is not None:
            _close_quietly(mail_connection)
    return len(batch)


def _close_quietly(connection: Any) -> None:
    try:
        connection.close()
    except OSError:
        logger.warning("closing the mail connection failed", exc_info=True)


def _record_failure(message: OutboxMessage, error: str, *, permanent: bool) -> None:
    give_up = permanent or message.attempts >= max_attempts()
    next_attempt_at = None if give_up else timezone.now() + retry_delay(message.attempts)
    status = Status.DEAD if give_up else Status.FAILED
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=status, next_attempt_at=next_attempt_at, last_error=error[:2000]
    )
    logger.warning(
        "delivery failed",
        extra={
            "outbox": message.pk,
            "channel": message.channel,
            "event": message.event,
            "attempts": message.attempts,
            "status": status,
            "error": error[:300],
        },
    )


def outbox_retry(*, actor: User, ids: Iterable[int]) -> int:
    """Make the given unsent rows due now ("retry now"); a dead row gets one more attempt.

    For the system administrator (the outbox policy); one audit row lists the rows retried.
    """
    require(actor, "outbox.retry")
    with transaction.atomic():
        rows = OutboxMessage.objects.filter(pk__in=list(ids)).exclude(status=Status.SENT)
        retried = sorted(rows.values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=retried).update(
            next_attempt_at=timezone.now(),
            status=Case(When(status=Status.DEAD, then=Value(Status.FAILED)), default=F("status")),
        )
        audit_record(actor=actor, action="outbox.retry", detail={"ids": retried})
    return len(retried)
